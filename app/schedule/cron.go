package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	// The zone database compiled in: Windows has none of its own, and a
	// schedule at 09:00 Asia/Shanghai must mean that on every system.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"botgate/model"
)

// parser reads the standard 5 fields (minute hour day-of-month month
// day-of-week) and the descriptors @yearly @monthly @weekly @daily @hourly.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronHelp ends every cron error: what the field order is, with examples.
const cronHelp = "格式为 5 段，用空格分开：分 时 日 月 周，例如 0 9 * * *（每天 9:00）、30 8 * * 1-5（周一到周五 8:30）、0 */2 * * *（每 2 小时）"

// Spec is a parsed cron expression in its time zone.
type Spec struct {
	spec *cron.SpecSchedule
	loc  *time.Location
}

// LoadZone returns the zone named tz ("" = model.DefaultTZ), or a Chinese error on field "tz".
func LoadZone(tz string) (*time.Location, error) {
	name := strings.TrimSpace(tz)
	if name == "" {
		name = model.DefaultTZ
	}
	// "Local" would be whatever zone the server happens to run in: the
	// same file would fire at different times on two computers.
	if name == "Local" {
		return nil, model.Invalid("tz", "时区不能写 Local，请写明时区名称，例如 Asia/Shanghai")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, model.Invalid("tz", "时区 %q 无效，请写 IANA 时区名称，例如 Asia/Shanghai（北京时间）、Asia/Hong_Kong、UTC；留空即北京时间", tz)
	}
	return loc, nil
}

// Parse reads a cron expression in zone tz; its errors are Chinese, on
// field "cron" (or "tz"), and say how to write one.
func Parse(expr, tz string) (Spec, error) {
	loc, err := LoadZone(tz)
	if err != nil {
		return Spec{}, err
	}
	e := strings.Join(strings.Fields(expr), " ")
	switch {
	case e == "":
		return Spec{}, model.Invalid("cron", "缺少执行时间(cron)。%s", cronHelp)
	case strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ="):
		return Spec{}, model.Invalid("cron", "cron 表达式中不要写时区，时区请填在 tz 中（留空即北京时间 Asia/Shanghai）")
	case strings.HasPrefix(e, "@every"):
		// @every counts from whenever it was computed: no fixed slots, so
		// "exactly once per slot" would mean nothing.
		return Spec{}, model.Invalid("cron", "不支持 @every，请写成固定时刻的 cron 表达式，例如 */10 * * * *（每 10 分钟）")
	}
	if !strings.HasPrefix(e, "@") {
		if n := len(strings.Fields(e)); n != 5 {
			return Spec{}, model.Invalid("cron", "cron 表达式 %q 有 %d 段，应为 5 段。%s", e, n, cronHelp)
		}
	}
	sched, err := parser.Parse(e)
	if err != nil {
		return Spec{}, model.Invalid("cron", "cron 表达式 %q 无效：%s。%s", e, cronProblem(err), cronHelp)
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return Spec{}, model.Invalid("cron", "cron 表达式 %q 无效。%s", e, cronHelp)
	}
	spec.Location = loc
	s := Spec{spec: spec, loc: loc}
	if s.Next(time.Now()).IsZero() {
		return Spec{}, model.Invalid("cron", "cron 表达式 %q 在今后 5 年内一次也不会执行（例如 2 月 30 日），请检查日和月", e)
	}
	return s, nil
}

// cronProblem says in Chinese what the parser objected to; its own text
// (English) names the field value, which is kept.
func cronProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "above maximum"), strings.Contains(msg, "below minimum"), strings.Contains(msg, "negative number"):
		return "某一段的数值超出范围（分 0-59，时 0-23，日 1-31，月 1-12，周 0-6，0 为周日）"
	case strings.Contains(msg, "beyond end of range"):
		return "范围写反了（a-b 中 a 应不大于 b）"
	case strings.Contains(msg, "too many"):
		return "某一段的 - 或 / 太多"
	case strings.Contains(msg, "unrecognized descriptor"):
		return "不认识的 @ 写法（可用 @daily、@hourly、@weekly、@monthly、@yearly）"
	case strings.Contains(msg, "step"):
		return "步长（/ 后的数字）无效"
	case strings.Contains(msg, "failed to parse int"):
		return "有一段不是数字、* 或月份/星期的英文缩写"
	}
	return "无法识别（" + msg + "）"
}

// Location is the spec's time zone.
func (s Spec) Location() *time.Location { return s.loc }

// Next is the first slot strictly after t (whole seconds), in the spec's
// zone; zero when there is none within 5 years.
func (s Spec) Next(t time.Time) time.Time { return s.spec.Next(t.In(s.loc)) }

// Times are the next n slots after t.
func (s Spec) Times(t time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// jumpBack bounds the walk to the latest due slot after a long stop: the
// walk starts this far back from now when base is older, which is longer than
// any catch-up (24 h at most), so no slot that could still be sent is passed.
const jumpBack = 72 * time.Hour

// LatestDue is the latest slot after base and at or before now, or zero
// when none is due.
func (s Spec) LatestDue(base, now time.Time) time.Time {
	t := s.Next(base)
	if t.IsZero() || t.After(now) {
		return time.Time{}
	}
	// A dense schedule (every minute) stopped for months: start near now
	// rather than walk every slot. A sparse one (monthly) may have no slot
	// in that window; its walk from t is short anyway.
	if from := now.Add(-jumpBack); t.Before(from) {
		if u := s.Next(from); !u.IsZero() && !u.After(now) {
			t = u
		}
	}
	for {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			return t
		}
		t = n
	}
}

var weekdays = [...]string{"日", "一", "二", "三", "四", "五", "六"}

// FormatTime is a slot as the window and messages show it:
// "2026-03-02 星期一 09:00" in the slot's own zone.
func FormatTime(t time.Time) string {
	return t.Format("2006-01-02") + " 星期" + weekdays[t.Weekday()] + " " + t.Format("15:04")
}

// FormatDuration writes d as catch_up takes it: "1h", "30m", "1h30m".
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case h > 0:
		return strconv.Itoa(h) + "h"
	}
	return strconv.Itoa(m) + "m"
}

// chineseDuration writes d for a message: "3 小时 12 分钟", "45 分钟", "20 秒".
func chineseDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d 秒", int(d.Seconds()))
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d 小时 %d 分钟", h, m)
	case h > 0:
		return fmt.Sprintf("%d 小时", h)
	}
	return fmt.Sprintf("%d 分钟", m)
}

// MinCatchUp and MaxCatchUp bound catch_up.
const (
	MinCatchUp = time.Minute
	MaxCatchUp = 24 * time.Hour
)

// ParseCatchUp reads catch_up ("" = model.DefaultCatchUp): "30m", "1h", "2h30m".
func ParseCatchUp(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return model.DefaultCatchUp, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < MinCatchUp || d > MaxCatchUp {
		return 0, model.Invalid("catch_up", "补发时限 catch_up %q 无效：写成 30m、1h、2h30m 这样的时长，1 分钟到 24 小时（留空为 1 小时）", s)
	}
	return d, nil
}
