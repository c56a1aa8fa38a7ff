package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"botgate/model"
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a wall-clock time in Asia/Shanghai (UTC+8 all year: no DST).
func at(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, shanghai)
}

func TestParse_BadExpression_ChineseReasonOnItsField(t *testing.T) {
	tests := []struct {
		name, cron, tz, field, want string
	}{
		{"empty", "", "", "cron", "缺少执行时间"},
		{"four fields", "0 9 * *", "", "cron", "有 4 段，应为 5 段"},
		{"six fields (seconds)", "0 0 9 * * *", "", "cron", "有 6 段，应为 5 段"},
		{"minute out of range", "61 9 * * *", "", "cron", "超出范围"},
		{"not a number", "x 9 * * *", "", "cron", "不是数字"},
		{"zone in the expression", "CRON_TZ=UTC 0 9 * * *", "", "cron", "时区请填在 tz 中"},
		{"every", "@every 1h", "", "cron", "不支持 @every"},
		{"never fires", "0 9 30 2 *", "", "cron", "一次也不会执行"},
		{"unknown zone", "0 9 * * *", "Mars/Olympus", "tz", "时区 \"Mars/Olympus\" 无效"},
		{"local zone", "0 9 * * *", "Local", "tz", "不能写 Local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.cron, tt.tz)
			var e *model.Error
			if !errors.As(err, &e) || e.Code != model.CodeInvalid || e.Field != tt.field || !strings.Contains(e.Msg, tt.want) {
				t.Fatalf("Parse(%q, %q) = %v, want field %s and %q", tt.cron, tt.tz, err, tt.field, tt.want)
			}
			if tt.field == "cron" && tt.name != "zone in the expression" && tt.name != "every" && tt.name != "never fires" && !strings.Contains(e.Msg, "0 9 * * *（每天 9:00）") {
				t.Errorf("message gives no example of a good expression: %s", e.Msg)
			}
		})
	}
}

func TestSpec_Times_InTheConfiguredZone(t *testing.T) {
	tests := []struct {
		name, cron, tz string
		from           time.Time
		want           []time.Time
	}{
		{"daily 09:00 Beijing time, from 08:30", "0 9 * * *", "", at(2026, 3, 2, 8, 30, 0),
			[]time.Time{at(2026, 3, 2, 9, 0, 0), at(2026, 3, 3, 9, 0, 0), at(2026, 3, 4, 9, 0, 0), at(2026, 3, 5, 9, 0, 0), at(2026, 3, 6, 9, 0, 0)}},
		{"exactly at the slot: the next one", "0 9 * * *", "Asia/Shanghai", at(2026, 3, 2, 9, 0, 0),
			[]time.Time{at(2026, 3, 3, 9, 0, 0), at(2026, 3, 4, 9, 0, 0)}},
		// 2026-03-06 is a Friday: the weekend is skipped.
		{"weekdays 08:30", "30 8 * * 1-5", "", at(2026, 3, 6, 9, 0, 0),
			[]time.Time{at(2026, 3, 9, 8, 30, 0), at(2026, 3, 10, 8, 30, 0), at(2026, 3, 11, 8, 30, 0)}},
		{"descriptor", "@daily", "", at(2026, 3, 2, 12, 0, 0), []time.Time{at(2026, 3, 3, 0, 0, 0)}},
		{"another zone", "0 9 * * *", "Asia/Tokyo", at(2026, 3, 2, 7, 0, 0), // 08:00 in Tokyo
			[]time.Time{at(2026, 3, 2, 8, 0, 0)}}, // 09:00 Tokyo = 08:00 Beijing
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := Parse(tt.cron, tt.tz)
			if err != nil {
				t.Fatal(err)
			}
			// The zone of the time passed in does not matter: UTC here.
			got := spec.Times(tt.from.UTC(), len(tt.want))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v", got)
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("time %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSpec_LatestDue(t *testing.T) {
	daily, _ := Parse("0 9 * * *", "")
	every15, _ := Parse("*/15 * * * *", "")
	monthly, _ := Parse("0 9 1 * *", "")
	tests := []struct {
		name            string
		spec            Spec
		base, now, want time.Time
	}{
		{"not yet", daily, at(2026, 3, 1, 9, 0, 0), at(2026, 3, 2, 8, 59, 59), time.Time{}},
		{"at the slot", daily, at(2026, 3, 1, 9, 0, 0), at(2026, 3, 2, 9, 0, 0), at(2026, 3, 2, 9, 0, 0)},
		{"three days missed: the latest", daily, at(2026, 3, 1, 9, 0, 0), at(2026, 3, 4, 10, 0, 0), at(2026, 3, 4, 9, 0, 0)},
		{"dense, a year missed", every15, at(2025, 3, 1, 9, 0, 0), at(2026, 3, 4, 10, 7, 0), at(2026, 3, 4, 10, 0, 0)},
		{"sparse, months missed", monthly, at(2025, 11, 1, 9, 0, 0), at(2026, 3, 20, 10, 0, 0), at(2026, 3, 1, 9, 0, 0)},
		{"base is the slot itself", daily, at(2026, 3, 2, 9, 0, 0), at(2026, 3, 2, 9, 30, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spec.LatestDue(tt.base, tt.now); !got.Equal(tt.want) {
				t.Fatalf("LatestDue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormatTimeAndDurations(t *testing.T) {
	if got := FormatTime(at(2026, 3, 2, 9, 0, 0)); got != "2026-03-02 星期一 09:00" {
		t.Errorf("FormatTime = %q", got)
	}
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{{"", time.Hour, true}, {"30m", 30 * time.Minute, true}, {"2h30m", 150 * time.Minute, true}, {"24h", 24 * time.Hour, true},
		{"30s", 0, false}, {"25h", 0, false}, {"一小时", 0, false}, {"-1h", 0, false}} {
		d, err := ParseCatchUp(tt.in)
		if (err == nil) != tt.ok || (tt.ok && d != tt.want) {
			t.Errorf("ParseCatchUp(%q) = %v, %v", tt.in, d, err)
		}
		if err != nil && (model.ErrorOf(err).Field != "catch_up" || !strings.Contains(err.Error(), "1 分钟到 24 小时")) {
			t.Errorf("ParseCatchUp(%q) error %v", tt.in, err)
		}
		if tt.ok {
			if back, _ := ParseCatchUp(FormatDuration(d)); back != d {
				t.Errorf("FormatDuration(%v) = %q does not read back", d, FormatDuration(d))
			}
		}
	}
	if got := chineseDuration(90 * time.Minute); got != "1 小时 30 分钟" {
		t.Errorf("chineseDuration = %q", got)
	}
}
