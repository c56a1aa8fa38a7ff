package schedule

import (
	"strings"
	"testing"
	"unicode/utf8"

	"botgate/model"
)

func TestCompose_HeaderRowsAndLimits(t *testing.T) {
	many := &model.KeywordResult{Kind: model.KindQuery, Columns: []string{"门店", "金额"}}
	for i := 0; i < 40; i++ {
		many.Rows = append(many.Rows, []any{"门店名称很长很长很长", int64(i)})
	}
	one := &model.KeywordResult{Kind: model.KindQuery, Columns: []string{"合计"}, Rows: [][]any{{int64(2000)}}}
	tests := []struct {
		name     string
		header   string
		reply    string
		maxRows  int
		res      *model.KeywordResult
		maxRunes int
		want     string // exact, or a prefix when wantCut
		wantCut  bool
	}{
		{"placeholders", "{{名称}} {{日期}} {{星期}} {{时间}} 共 {{条数}} 条", "", 50, one, 1500,
			"日报 2026-03-02 星期一 09:00 共 1 条\n2000", false},
		{"no header: the template's reply alone", "", "合计 {{合计}} 元", 50, one, 1500, "合计 2000 元", false},
		{"template's row cap", "日报", "{{门店}} {{金额}}", 3, many, 1500,
			"日报\n查到 40 条：\n门店名称很长很长很长 0\n门店名称很长很长很长 1\n门店名称很长很长很长 2\n…还有 37 条", false},
		{"channel length limit, header counted", "日报", "{{门店}} {{金额}}", 50, many, 120, "日报\n查到 40 条：\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := model.Schedule{Name: "日报", Header: tt.header}
			tp := model.Template{Keyword: "销售", Reply: tt.reply, MaxRows: tt.maxRows}
			got := Compose(s, tp, tt.res, model.Vars{}, at(2026, 3, 2, 9, 0, 0), tt.maxRunes)
			if n := utf8.RuneCountInString(got); n > tt.maxRunes {
				t.Fatalf("%d characters, over the limit %d:\n%s", n, tt.maxRunes, got)
			}
			if tt.wantCut {
				if !strings.HasPrefix(got, tt.want) || !strings.Contains(got, "…还有") {
					t.Fatalf("got\n%s", got)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
