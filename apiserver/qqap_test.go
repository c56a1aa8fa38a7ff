package apiserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"botgate/apiserver"
	"botgate/app/config"
	"botgate/model"
)

const seedQQ = "350310976"

func TestQQAP_SeedGETExample_SendsPrivateAndAnswersRows(t *testing.T) {
	e := start(t)
	// The seed's GET line, with the demo's credentials.
	q := "Access_token=" + e.Password + "&user=demo&QQ=350310976&group=350310976&content=API%E5%8F%91%E9%80%81%E6%B6%88%E6%81%AF%E6%B5%8B%E8%AF%95&keyword=%E8%B4%A6%E5%8F%B7"
	env, raw := e.QQAP("GET", q, "", "")
	want := `{"errcode":0,"errmsg":"OK","data":[{"xtuser":"admin","name":"管理员","qq":"350310976"}],"msg_id":1}` + "\n"
	if raw != want {
		t.Fatalf("reply\n got %s\nwant %s", raw, want)
	}
	m, err := e.App.DB().Message(context.Background(), env.MsgID)
	if err != nil {
		t.Fatal(err)
	}
	if m.TargetKind != "private" || m.Target != seedQQ || m.Content != "API发送消息测试" || m.Channel != "log" {
		t.Fatalf("queued %+v", m)
	}
	e.WaitStatus(env.MsgID, model.StatusDelivered)
}

func TestQQAP_SeedPOSTBody_BindsDataArguments(t *testing.T) {
	e := start(t)
	body := `{"qq": "350310976", "group": "", "content": "信息内容", "Keyword": "账号", "data": [{"content": "cs02"}, {"content": "350310976"}]}`
	for _, ctype := range []string{"application/json", "application/x-www-form-urlencoded", "text/plain", ""} {
		t.Run("content-type "+ctype, func(t *testing.T) {
			env, raw := e.QQAP("POST", e.Auth().Encode(), ctype, body)
			if env.Errcode != 0 || env.MsgID == 0 {
				t.Fatalf("reply %s", raw)
			}
			// qq = 350310976 matches admin, {{1}} = cs02 matches cs02.
			if len(env.Data) != 2 || !strings.Contains(raw, `{"xtuser":"cs02","name":"测试员02","qq":"2303831209"}`) || !strings.Contains(raw, `{"xtuser":"admin","name":"管理员","qq":"350310976"}`) {
				t.Fatalf("rows: %s", raw)
			}
		})
	}
}

func TestQQAP_RowsKeepSelectColumnOrder(t *testing.T) {
	e := start(t)
	e.ImportJSON(`{"templates":[{"keyword":"倒序","kind":"query","sql":"SELECT qq, name, xtuser FROM staff WHERE xtuser = {{1}}"}]}`)
	_, raw := e.QQAP("GET", e.Auth().Encode()+"&keyword="+url.QueryEscape("倒序")+"&data=cs01", "", "")
	if !strings.Contains(raw, `"data":[{"qq":"289192968","name":"测试员01","xtuser":"cs01"}]`) {
		t.Fatalf("column order lost: %s", raw)
	}
}

func TestQQAP_FormPostAndCaseInsensitiveNames(t *testing.T) {
	e := start(t)
	form := url.Values{"ACCESS_TOKEN": {e.Password}, "User": {"demo"}, "KeyWord": {"账号"}, "DATA": {"cs03"}}
	env, raw := e.QQAP("POST", "", "application/x-www-form-urlencoded", form.Encode())
	if env.Errcode != 0 || !strings.Contains(raw, `"xtuser":"cs03"`) || len(env.Data) != 1 {
		t.Fatalf("reply %s", raw)
	}
	// data as a JSON array in the query string.
	env, raw = e.QQAP("GET", e.Auth().Encode()+"&keyword=%E8%B4%A6%E5%8F%B7&data="+url.QueryEscape(`[{"content":"cs01"}]`), "", "")
	if env.Errcode != 0 || len(env.Data) != 1 || !strings.Contains(raw, `"xtuser":"cs01"`) {
		t.Fatalf("reply %s", raw)
	}
}

func TestQQAP_GroupRouting(t *testing.T) {
	e := start(t)
	tests := []struct {
		name, qq, group string
		wantKind        string
		wantTo          string
	}{
		{"group empty is private", "111", "", "private", "111"},
		{"group equal to QQ is private", "111", "111", "private", "111"},
		{"group differs from QQ sends group", "111", "222", "group", "222"},
		{"only group sends group", "", "222", "group", "222"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := e.Auth()
			q.Set("QQ", tc.qq)
			q.Set("group", tc.group)
			q.Set("content", "hi")
			env, raw := e.QQAP("GET", q.Encode(), "", "")
			if env.Errcode != 0 {
				t.Fatalf("reply %s", raw)
			}
			m, err := e.App.DB().Message(context.Background(), env.MsgID)
			if err != nil {
				t.Fatal(err)
			}
			if m.TargetKind != tc.wantKind || m.Target != tc.wantTo {
				t.Fatalf("got %s %s, want %s %s", m.TargetKind, m.Target, tc.wantKind, tc.wantTo)
			}
		})
	}
}

func TestQQAP_ForbiddenTemplate_Returns5010WithSeedText(t *testing.T) {
	e := start(t)
	e.ImportJSON(`{"templates":[{"keyword":"工资","kind":"query","sql":"SELECT name FROM staff","roles":["finance"]}]}`)
	_, raw := e.QQAP("GET", e.Auth().Encode()+"&keyword="+url.QueryEscape("工资"), "", "")
	want := `{"errcode":5010,"errmsg":"对不起!你没有该信息的查询,更新,或新建权限,具体咨询管理人员"}` + "\n"
	if raw != want {
		t.Fatalf("got %s want %s", raw, want)
	}
}

func TestQQAP_BadInput_GetsErrorEnvelopeNever5xx(t *testing.T) {
	e := start(t)
	auth := e.Auth().Encode()
	kw := "&keyword=%E8%B4%A6%E5%8F%B7"
	tests := []struct {
		name, method, query, ctype, body string
		wantCode                         int
	}{
		{"bad JSON", "POST", auth, "application/json", `{"keyword": `, model.CodeBadRequest},
		{"JSON array body", "POST", auth, "application/json", `["账号"]`, model.CodeBadRequest},
		{"two JSON objects", "POST", auth, "application/json", `{"keyword":"账号"}{"x":1}`, model.CodeBadRequest},
		{"data not an array", "POST", auth, "application/json", `{"keyword":"账号","data":"cs01"}`, model.CodeBadRequest},
		{"content is an object", "POST", auth, "application/json", `{"qq":"1","content":{"a":1}}`, model.CodeBadRequest},
		{"data item without content", "POST", auth, "application/json", `{"keyword":"账号","data":[{"x":"1"}]}`, model.CodeBadRequest},
		{"too many arguments", "POST", auth, "application/json", `{"keyword":"账号","data":[1,2,3,4,5,6,7,8,9,10]}`, model.CodeBadRequest},
		{"invalid UTF-8 in query", "GET", auth + kw + "&data=%FF%FE", "", "", model.CodeBadEncoding},
		{"invalid UTF-8 in JSON", "POST", auth, "application/json", "{\"keyword\":\"\xff\"}", model.CodeBadEncoding},
		{"bad percent escape", "GET", auth + "&keyword=%zz", "", "", model.CodeBadRequest},
		// The send endpoint's cap is MaxSendBody (attachments ride as base64).
		{"huge body", "POST", auth, "application/json", `{"content":"` + strings.Repeat("x", apiserver.MaxSendBody) + `"}`, model.CodeTooLarge},
		{"unknown keyword", "GET", auth + "&keyword=nope", "", "", model.CodeNoKeyword},
		{"nothing to do", "GET", auth + "&QQ=1", "", "", model.CodeNothingToDo},
		{"content without target", "GET", auth + "&content=hi", "", "", model.CodeNoTarget},
		{"content too long", "POST", auth, "application/json", `{"qq":"1","content":"` + strings.Repeat("长", 7000) + `"}`, model.CodeTooLong},
		{"unknown channel", "GET", auth + "&QQ=1&content=hi&channel=nope", "", "", model.CodeNoChannel},
		{"wrong password", "GET", "Access_token=wrong&user=demo" + kw, "", "", model.CodeUnauthorized},
		{"missing credentials", "GET", "keyword=x", "", "", model.CodeUnauthorized},
		{"unknown path", "GET", "", "", "", model.CodeNothingToDo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, raw := e.QQAP(tc.method, tc.query, tc.ctype, tc.body)
			if env.Errcode != tc.wantCode {
				t.Fatalf("errcode %d, want %d: %s", env.Errcode, tc.wantCode, raw)
			}
			if env.Errmsg == "" || env.Errmsg == "OK" || !containsHan(env.Errmsg) {
				t.Fatalf("errmsg should be a Chinese explanation: %q", env.Errmsg)
			}
		})
	}
	// Nothing above may have queued a message.
	msgs, err := e.App.DB().Messages(context.Background(), model.MessageFilter{})
	if err != nil || len(msgs) != 0 {
		t.Fatalf("messages queued by bad requests: %d (%v)", len(msgs), err)
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestQQAP_UnknownPathIsEnvelope(t *testing.T) {
	e := start(t)
	status, raw := e.Request("GET", "/nope", "", "")
	if status != http.StatusOK || !strings.Contains(raw, `"errcode":4000`) {
		t.Fatalf("%d %s", status, raw)
	}
}

// countStaff reads the demo table through a query template.
func countStaff(t *testing.T, e *env) string {
	t.Helper()
	e.ImportJSON(`{"templates":[{"keyword":"计数","kind":"query","sql":"SELECT COUNT(*) AS n, group_concat(name) AS names FROM staff"}]}`)
	_, raw := e.QQAP("GET", e.Auth().Encode()+"&keyword="+url.QueryEscape("计数"), "", "")
	return raw
}

func TestQQAP_InjectionThroughEveryPlaceholderIsInert(t *testing.T) {
	e := start(t)
	e.ImportJSON(`{"templates":[
	  {"keyword":"全部","kind":"query","sql":"SELECT xtuser FROM staff WHERE qq = '{{来源QQ}}' OR qq = {{群号}} OR xtuser = {{user}} OR name = '{{content}}' OR xtuser = {{1}} OR name LIKE '%{{2}}%'"},
	  {"keyword":"改名","kind":"update","sql":"UPDATE staff SET name = '{{2}}' WHERE xtuser = {{1}}"}],
	  "channels":[{"name":"任意","type":"log","config":{"targets":"any"}}]}`)
	before := countStaff(t, e)
	payloads := []string{
		"' OR '1'='1", "1 OR 1=1", "x'; DROP TABLE staff; --", `" OR ""="`, "%' OR 1=1 --", "cs01' UNION SELECT password_hash FROM users --",
	}
	for _, p := range payloads {
		t.Run(p, func(t *testing.T) {
			// The payloads reach {{来源QQ}} and {{群号}} as QQ and group: the
			// send goes to a log channel that takes any target.
			body, _ := json.Marshal(map[string]any{"qq": p, "group": p + "x", "content": p, "keyword": "全部", "channel": "任意",
				"data": []map[string]string{{"content": p}, {"content": p}}})
			env, raw := e.QQAP("POST", e.Auth().Encode(), "application/json", string(body))
			if env.Errcode != 0 || len(env.Data) != 0 {
				t.Fatalf("payload matched rows or failed: %s", raw)
			}
			body, _ = json.Marshal(map[string]any{"keyword": "改名", "data": []map[string]string{{"content": p}, {"content": "hacked"}}})
			env, raw = e.QQAP("POST", e.Auth().Encode(), "application/json", string(body))
			if env.Errcode != 0 || env.Affected == nil || *env.Affected != 0 {
				t.Fatalf("update payload changed rows: %s", raw)
			}
		})
	}
	if after := countStaff(t, e); after != before {
		t.Fatalf("staff changed:\n%s\n%s", before, after)
	}
	// The payload is stored literally when it is the value.
	body, _ := json.Marshal(map[string]any{"keyword": "改名", "data": []map[string]string{{"content": "cs01"}, {"content": "x'); DROP TABLE staff; --"}}})
	env, raw := e.QQAP("POST", e.Auth().Encode(), "application/json", string(body))
	if env.Errcode != 0 || env.Affected == nil || *env.Affected != 1 {
		t.Fatalf("literal update: %s", raw)
	}
	if after := countStaff(t, e); !strings.Contains(after, `"n":4`) || !strings.Contains(after, "x'); DROP TABLE staff; --") {
		t.Fatalf("after literal update: %s", after)
	}
}

func TestQQAP_WritingQueryTemplate_RefusedAtSaveAndNeverRuns(t *testing.T) {
	e := start(t)
	// WITH passes the kind check, but the statement writes: refused at save.
	// (A write hidden in a database function still meets the read-only
	// connection at run time: app/datasource's suite.)
	cf, err := config.Parse(strings.NewReader(`{"templates":[{"keyword":"偷改","kind":"query","sql":"WITH x AS (SELECT 1) UPDATE staff SET name = 'pwned'"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Import(context.Background(), cf); model.ErrorOf(err).Field != "sql" {
		t.Fatalf("import of a writing query template: err = %v, want a refusal of field sql", err)
	}
	env, raw := e.QQAP("GET", e.Auth().Encode()+"&keyword="+url.QueryEscape("偷改"), "", "")
	if env.Errcode != model.CodeNoKeyword {
		t.Fatalf("write in query template: %s", raw)
	}
	if after := countStaff(t, e); strings.Contains(after, "pwned") {
		t.Fatalf("query template wrote: %s", after)
	}
}

func TestQQAP_RowCapAndTimeout(t *testing.T) {
	e := start(t)
	e.ImportJSON(`{"templates":[
	  {"keyword":"两行","kind":"query","sql":"SELECT xtuser FROM staff ORDER BY xtuser","max_rows":2},
	  {"keyword":"慢","kind":"query","sql":"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c) SELECT max(n) FROM c","timeout_ms":200}]}`)
	env, raw := e.QQAP("GET", e.Auth().Encode()+"&keyword="+url.QueryEscape("两行"), "", "")
	if env.Errcode != 0 || len(env.Data) != 2 || !env.Truncated {
		t.Fatalf("row cap: %s", raw)
	}
	start := time.Now()
	env, raw = e.QQAP("GET", e.Auth().Encode()+"&keyword="+url.QueryEscape("慢"), "", "")
	if env.Errcode != model.CodeQueryTimeout {
		t.Fatalf("timeout: %s", raw)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timeout took %s", d)
	}
}

func TestQQAP_FailedLoginsAreThrottled(t *testing.T) {
	e := start(t)
	var last envelope
	for i := 0; i < 12; i++ {
		last, _ = e.QQAP("GET", "Access_token=wrong&user=demo&keyword=x", "", "")
	}
	if last.Errcode != model.CodeThrottled {
		t.Fatalf("after 12 failures errcode %d (%s), want %d", last.Errcode, last.Errmsg, model.CodeThrottled)
	}
	// The right password is refused too while the user is locked out.
	env, _ := e.QQAP("GET", e.Auth().Encode()+"&keyword=%E8%B4%A6%E5%8F%B7", "", "")
	if env.Errcode != model.CodeThrottled {
		t.Fatalf("locked-out user got errcode %d", env.Errcode)
	}
}

func TestQQAP_RequestLogRedactsSecrets(t *testing.T) {
	e := start(t)
	e.QQAP("GET", e.Auth().Encode()+"&keyword=%E8%B4%A6%E5%8F%B7&QQ=289192968", "", "")
	var logs []model.RequestLog
	deadline := time.Now().Add(3 * time.Second)
	for len(logs) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		var err error
		if logs, err = e.App.RequestLogs(context.Background(), "", 10); err != nil {
			t.Fatal(err)
		}
	}
	if len(logs) == 0 {
		t.Fatal("request not logged")
	}
	l := logs[0]
	if strings.Contains(l.Path, e.Password) || !strings.Contains(l.Path, "Access_token=***") {
		t.Fatalf("path not redacted: %q", l.Path)
	}
	if l.APIUser != "demo" || l.Keyword != "账号" || l.Errcode != 0 {
		t.Fatalf("log row %+v", l)
	}
}

func TestAuthModes(t *testing.T) {
	e := start(t)
	kw := "&keyword=%E8%B4%A6%E5%8F%B7&QQ=289192968"
	t.Run("token mode accepts the token, refuses the user password", func(t *testing.T) {
		e.ImportJSON(`{"settings":{"auth_mode":"token","auth_token":"0123456789abcdef0123"}}`)
		env, raw := e.QQAP("GET", "Access_token=0123456789abcdef0123&user=anyone"+kw, "", "")
		if env.Errcode != 0 || len(env.Data) != 2 {
			t.Fatalf("token: %s", raw)
		}
		env, _ = e.QQAP("GET", e.Auth().Encode()+kw, "", "")
		if env.Errcode != model.CodeUnauthorized {
			t.Fatalf("password in token mode: errcode %d", env.Errcode)
		}
		status, _ := e.Request("POST", "/api/v1/templates/%E8%B4%A6%E5%8F%B7/run", "application/json", `{"qq":"289192968"}`, "Authorization", "Bearer 0123456789abcdef0123")
		if status != http.StatusOK {
			t.Fatalf("bearer: %d", status)
		}
	})
	t.Run("sql mode checks the ERP's own table", func(t *testing.T) {
		e.ImportJSON(`{"settings":{"auth_mode":"sql","auth_datasource":"default","auth_sql":"SELECT 1 FROM staff WHERE xtuser = {{user}} AND qq = '{{Access_token}}'"}}`)
		env, raw := e.QQAP("GET", "Access_token=2303831209&user=cs02"+kw, "", "")
		if env.Errcode != 0 {
			t.Fatalf("sql auth good pair: %s", raw)
		}
		env, _ = e.QQAP("GET", "Access_token=289192968&user=cs02"+kw, "", "")
		if env.Errcode != model.CodeUnauthorized {
			t.Fatalf("sql auth bad pair: errcode %d", env.Errcode)
		}
	})
	t.Run("none mode needs no credentials on loopback", func(t *testing.T) {
		e.ImportJSON(`{"settings":{"auth_mode":"none"}}`)
		env, raw := e.QQAP("GET", kw[1:], "", "")
		if env.Errcode != 0 {
			t.Fatalf("none: %s", raw)
		}
	})
	t.Run("none mode is refused with a LAN listen address", func(t *testing.T) {
		cf, _ := config.Parse(strings.NewReader(`{"settings":{"listen":"0.0.0.0:7789","auth_mode":"none"}}`))
		_, err := e.App.Import(context.Background(), cf)
		if err == nil || !strings.Contains(err.Error(), "只能") {
			t.Fatalf("want refusal, got %v", err)
		}
	})
}

func TestQQAP_ManySendsAllDelivered(t *testing.T) {
	e := start(t)
	var ids []int64
	for i := 0; i < 50; i++ {
		q := e.Auth()
		q.Set("QQ", "42")
		q.Set("content", fmt.Sprintf("m%d", i))
		env, raw := e.QQAP("GET", q.Encode(), "", "")
		if env.Errcode != 0 {
			t.Fatal(raw)
		}
		ids = append(ids, env.MsgID)
	}
	for _, id := range ids {
		e.WaitStatus(id, model.StatusDelivered)
	}
}
