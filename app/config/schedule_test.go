package config_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"botgate/app/config"
	"botgate/model"
)

// withSchedules is stored() with a query template 销售, a form template 请假,
// and a group robot channel.
func withSchedules() *config.Stored {
	cur := stored()
	cur.Templates = map[string]model.Template{
		"销售": {Keyword: "销售", Kind: model.KindQuery, SQL: "SELECT 1", Enabled: true},
		"请假": {Keyword: "请假", Kind: model.KindInsert, SQL: "INSERT INTO t VALUES (1)", Enabled: true},
	}
	cur.Channels["robot"] = model.Channel{Name: "robot", Type: "wecom", Enabled: true, Config: map[string]string{"url": "http://127.0.0.1:1/hook"}}
	cur.Channels["xx"] = model.Channel{Name: "xx", Type: "xuanxuan", Enabled: true, Config: map[string]string{"url": "http://127.0.0.1:1", "code": "bot", "key": "k"}}
	cur.Schedules = map[string]model.Schedule{}
	return cur
}

func TestCheckSchedules_GoodOnes_RowsToWrite(t *testing.T) {
	f := parse(t, `{
	  "templates": [{"keyword": "库存", "sql": "SELECT 2"}],
	  "schedules": [
	    {"name": "日报", "cron": " 0  9 * * * ", "template": "销售", "args": [" 昨天 "], "channel": "qq",
	     "to": "10001, 10002", "group": "123456，654321", "header": "{{日期}} 昨日销售", "skip_empty": true, "catch_up": "2h"},
	    {"name": "库存提醒", "cron": "30 8 * * 1-5", "tz": "Asia/Tokyo", "template": "库存", "channel": "robot", "at": "all", "enabled": false}
	  ]}`)
	ch, err := config.Check(f, withSchedules(), "/state/botgate.db")
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Schedule{
		{Name: "日报", Cron: "0 9 * * *", Template: "销售", Args: []string{"昨天"}, Channel: "qq", To: []string{"10001", "10002"},
			Groups: []string{"123456", "654321"}, Header: "{{日期}} 昨日销售", SkipEmpty: true, CatchUp: 2 * time.Hour, Enabled: true},
		// a template of the same file; a group robot needs no recipient; catch-up defaults to 1 h
		{Name: "库存提醒", Cron: "30 8 * * 1-5", TZ: "Asia/Tokyo", Template: "库存", Args: []string{}, Channel: "robot", To: []string{}, Groups: []string{}, At: "all",
			CatchUp: time.Hour, Enabled: false},
	}
	if !reflect.DeepEqual(ch.Schedules, want) {
		t.Fatalf("schedules\n%+v\nwant\n%+v", ch.Schedules, want)
	}
	if ch.Summary.Schedules != 2 || !strings.Contains(ch.Summary.String(), "定时推送 2 个") {
		t.Errorf("summary %+v %q", ch.Summary, ch.Summary.String())
	}
}

// A bad schedule is refused with its name, the field and a Chinese reason,
// and the whole file writes nothing.
func TestCheckSchedules_BadItemRefusedByName(t *testing.T) {
	good := `"name": "日报", "cron": "0 9 * * *", "template": "销售", "channel": "qq", "group": "123456"`
	tests := []struct{ name, item, field, want string }{
		{"bad cron", `"name": "日报", "cron": "0 25 * * *", "template": "销售", "channel": "qq", "group": "1"`, "cron", "定时推送“日报”：cron 表达式 \"0 25 * * *\" 无效：某一段的数值超出范围"},
		{"four fields", `"name": "日报", "cron": "0 9 * *", "template": "销售", "channel": "qq", "group": "1"`, "cron", "有 4 段，应为 5 段"},
		{"bad zone", good + `, "tz": "Beijing"`, "tz", "定时推送“日报”：时区 \"Beijing\" 无效"},
		{"unknown template", `"name": "日报", "cron": "0 9 * * *", "template": "无此", "channel": "qq", "group": "1"`, "template", "定时推送“日报”：模板“无此”不存在"},
		{"not a query template", `"name": "日报", "cron": "0 9 * * *", "template": "请假", "channel": "qq", "group": "1"`, "template", "只能用查询(query)模板"},
		{"unknown channel", `"name": "日报", "cron": "0 9 * * *", "template": "销售", "channel": "wx", "group": "1"`, "channel", "定时推送“日报”：通道“wx”不存在"},
		{"no channel, no default", `"name": "日报", "cron": "0 9 * * *", "template": "销售", "group": "1"`, "channel", "没有设置默认通道"},
		{"no recipient", `"name": "日报", "cron": "0 9 * * *", "template": "销售", "channel": "qq"`, "to", "缺少接收者"},
		{"group id not a number", `"name": "日报", "cron": "0 9 * * *", "template": "销售", "channel": "qq", "group": "123,销售群"`, "group", "接收者 销售群 无效：群号 \"销售群\" 必须是数字"},
		{"mention without a group", `"name": "日报", "cron": "0 9 * * *", "template": "销售", "channel": "qq", "to": "10001", "at": "all"`, "at", "@成员只能用于群消息"},
		{"mention on a channel without mentions", `"name": "日报", "cron": "0 9 * * *", "template": "销售", "channel": "xx", "group": "1", "at": "all"`, "at", "通道“xx”（喧喧"},
		{"bad catch-up", good + `, "catch_up": "90"`, "catch_up", "补发时限 catch_up \"90\" 无效"},
		{"too many args", good + `, "args": ["1","2","3","4","5","6","7","8","9","10"]`, "args", "最多 9 个"},
		{"bad name", `"name": "日 报", "cron": "0 9 * * *", "template": "销售", "channel": "qq", "group": "1"`, "name", "定时推送名称"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bad one comes second: the good first one is not written either.
			js := `{"schedules": [{"name": "早报", "cron": "0 8 * * *", "template": "销售", "channel": "qq", "group": "1"}, {` + tt.item + `}]}`
			ch, err := config.Check(parse(t, js), withSchedules(), "/state/botgate.db")
			e := model.ErrorOf(err)
			if err == nil || e.Code != model.CodeInvalid || e.Field != tt.field || !strings.Contains(e.Msg, tt.want) {
				t.Fatalf("got %v (field %q), want field %q with %q", err, e.Field, tt.field, tt.want)
			}
			if !reflect.DeepEqual(ch, config.Changes{}) {
				t.Errorf("a refused file still has rows to write: %+v", ch)
			}
		})
	}
}

func TestCheckSchedules_DefaultChannelOfTheSameFile(t *testing.T) {
	f := parse(t, `{"settings": {"default_channel": "robot"},
	  "schedules": [{"name": "日报", "cron": "0 9 * * *", "template": "销售"}]}`)
	ch, err := config.Check(f, withSchedules(), "/state/botgate.db")
	if err != nil || len(ch.Schedules) != 1 || ch.Schedules[0].Channel != "" {
		t.Fatalf("Check = %+v, %v (want the robot, as the default, stored as \"\")", ch.Schedules, err)
	}
}

func TestExportSchedules_ReadBackTheSame(t *testing.T) {
	cur := withSchedules()
	s := model.Schedule{Name: "日报", Cron: "0 9 * * *", Template: "销售", Args: []string{"昨天"}, Channel: "qq", To: []string{"10001"},
		Groups: []string{"1", "2"}, Header: "昨日销售", SkipEmpty: true, CatchUp: 90 * time.Minute, Enabled: true}
	cur.Schedules["日报"] = s
	f := config.Export(cur)
	if len(f.Schedules) != 1 {
		t.Fatalf("exported %v", f.Schedules)
	}
	b, err := json.Marshal(f.Schedules[0])
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"name":"日报","cron":"0 9 * * *","template":"销售","args":["昨天"],"channel":"qq","to":"10001","group":"1,2","at":"","header":"昨日销售","skip_empty":true,"catch_up":"1h30m","enabled":true}`
	if string(b) != want {
		t.Fatalf("exported\n%s\nwant\n%s", b, want)
	}
	ch, err := config.Check(config.File{Schedules: f.Schedules}, cur, "/state/botgate.db")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch.Schedules[0], s) {
		t.Fatalf("read back %+v, want %+v", ch.Schedules[0], s)
	}
}

func TestAdminRecipient_FormsAndChecks(t *testing.T) {
	tests := []struct {
		value string
		want  config.AdminRecipient
		err   string
	}{
		{"qq:350310976", config.AdminRecipient{Channel: "qq", Kind: "private", To: "350310976"}, ""},
		{"qq:group:123456", config.AdminRecipient{Channel: "qq", Kind: "group", To: "123456"}, ""},
		{"qq:群:123456", config.AdminRecipient{Channel: "qq", Kind: "group", To: "123456"}, ""},
		{"robot", config.AdminRecipient{Channel: "robot", Kind: "group"}, ""},
		{"qq:", config.AdminRecipient{}, "格式不对"},
		{"qq:private:1", config.AdminRecipient{}, "格式不对"},
		{"wx:1", config.AdminRecipient{}, "通道“wx”不存在"},
		{"qq:abc", config.AdminRecipient{}, "QQ 号 \"abc\" 必须是数字"},
		{"qq", config.AdminRecipient{}, "缺少接收者"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			f := parse(t, `{"settings": {"admin_recipient": "`+tt.value+`"}}`)
			ch, err := config.Check(f, withSchedules(), "/state/botgate.db")
			if tt.err != "" {
				if e := model.ErrorOf(err); err == nil || e.Field != "admin_recipient" || !strings.Contains(e.Msg, tt.err) {
					t.Fatalf("got %v, want %q on admin_recipient", err, tt.err)
				}
				return
			}
			if err != nil || ch.Settings["admin_recipient"] != tt.value {
				t.Fatalf("Check: %v %v", ch.Settings, err)
			}
			r, ok, err := config.ParseAdminRecipient(tt.value)
			if err != nil || !ok || r != tt.want {
				t.Fatalf("ParseAdminRecipient = %+v %v %v", r, ok, err)
			}
		})
	}
}
