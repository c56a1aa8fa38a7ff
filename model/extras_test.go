package model

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseMentions(t *testing.T) {
	many := make([]string, MaxMentions+1)
	for i := range many {
		many[i] = strconv.Itoa(10000 + i)
	}
	tests := []struct {
		name    string
		in      string
		want    []Mention
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"only separators", " , ，", nil, ""},
		{"ids trimmed", " 10001 ,wangqing", []Mention{{ID: "10001"}, {ID: "wangqing"}}, ""},
		{"id with display name", "13800001111:张三,lisi：李四", []Mention{{ID: "13800001111", Name: "张三"}, {ID: "lisi", Name: "李四"}}, ""},
		{"full-width comma", "a，b", []Mention{{ID: "a"}, {ID: "b"}}, ""},
		{"repeats dropped, first name kept", "a:甲,b,a:乙", []Mention{{ID: "a", Name: "甲"}, {ID: "b"}}, ""},
		{"all in any case", "ALL,All", []Mention{{ID: MentionAll}}, ""},
		{"empty id refused", "a,:张三", nil, "空的成员"},
		{"control character refused", "a\x00b", nil, "控制字符"},
		{"space inside id refused", "a b", nil, "空格"},
		{"at the cap", strings.Join(many[:MaxMentions], ","), nil, ""},
		{"over the cap refused", strings.Join(many, ","), nil, "最多 50 个"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMentions(tt.in)
			if tt.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeBadRequest || !strings.Contains(e.Msg, tt.wantErr) {
					t.Fatalf("err = %v, want a 4000 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if tt.name == "at the cap" && len(got) != MaxMentions {
				t.Errorf("got %d mentions, want %d", len(got), MaxMentions)
			}
		})
	}
}
