package apiserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"botgate/model"
)

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestSchedulesAPI_ListsLastAndNextRun_AdminsOnly(t *testing.T) {
	e := start(t)
	e.ImportJSON(`{"users": [{"name": "clerk", "password": "clerk-pass", "roles": ["sales"]}],
	  "schedules": [{"name": "日报", "cron": "0 9 * * *", "template": "账号", "args": ["admin"], "group": "123456", "header": "早报", "skip_empty": true}]}`)

	type view struct {
		Name    string   `json:"name"`
		Cron    string   `json:"cron"`
		TZ      string   `json:"tz"`
		Args    []string `json:"args"`
		Group   string   `json:"group"`
		CatchUp string   `json:"catch_up"`
		Enabled bool     `json:"enabled"`
		NextRun *string  `json:"next_run"`
		LastRun *struct {
			Slot    string  `json:"slot"`
			Outcome string  `json:"outcome"`
			Error   string  `json:"error"`
			MsgIDs  []int64 `json:"msg_ids"`
			At      string  `json:"at"`
		} `json:"last_run"`
	}
	list := func() []view {
		t.Helper()
		status, body := e.Request("GET", "/api/v1/schedules", "", "", "Authorization", basic("demo", e.Password))
		if status != 200 {
			t.Fatalf("HTTP %d: %s", status, body)
		}
		var r struct{ Schedules []view }
		if err := json.Unmarshal([]byte(body), &r); err != nil || len(r.Schedules) != 1 {
			t.Fatalf("body %s: %v", body, err)
		}
		return r.Schedules
	}
	v := list()[0]
	if v.Name != "日报" || v.Cron != "0 9 * * *" || v.TZ != "Asia/Shanghai" || v.Group != "123456" || v.CatchUp != "1h" || !v.Enabled || v.LastRun != nil {
		t.Fatalf("view %+v", v)
	}
	next, err := time.Parse(time.RFC3339, *v.NextRun)
	if err != nil || !strings.HasSuffix(*v.NextRun, "T09:00:00+08:00") || !next.After(time.Now()) || next.Sub(time.Now()) > 24*time.Hour {
		t.Fatalf("next_run %q, want the next 09:00 Beijing time", *v.NextRun)
	}

	slot := next.Add(-24 * time.Hour)
	if _, err := e.App.DB().CommitScheduleRun(context.Background(), model.ScheduleRun{Schedule: "日报", Slot: slot, Outcome: model.RunFailed,
		Error: "模板“账号”执行出错", At: slot.Add(time.Second)}, nil); err != nil {
		t.Fatal(err)
	}
	v = list()[0]
	if l := v.LastRun; l == nil || l.Slot != slot.In(next.Location()).Format(time.RFC3339) || l.Outcome != "failed" || l.Error != "模板“账号”执行出错" || l.MsgIDs == nil {
		t.Fatalf("last_run %+v", v.LastRun)
	}

	for _, tt := range []struct {
		name, method, auth string
		status             int
		want               string
	}{
		{"not an admin", "GET", basic("clerk", "clerk-pass"), 403, "只有 admin 角色的 API 用户可以查看定时推送"},
		{"no credentials", "GET", "", 401, "缺少授权参数"},
		{"read-only", "POST", basic("demo", e.Password), 405, "只接受 GET"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.auth != "" {
				hdr = []string{"Authorization", tt.auth}
			}
			status, body := e.Request(tt.method, "/api/v1/schedules", "application/json", "", hdr...)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("HTTP %d %s, want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
}
