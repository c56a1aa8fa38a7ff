package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"botgate/model"
)

// TestQQAP_SendAndUnknownKeyword_ReportsTheQueuedMessage: the message is
// queued and delivered although the keyword fails, so the reply says so and
// an ERP that retries on errcode ≠ 0 can tell not to send it again.
func TestQQAP_SendAndUnknownKeyword_ReportsTheQueuedMessage(t *testing.T) {
	e := start(t)
	q := e.Auth()
	q.Set("QQ", seedQQ)
	q.Set("content", "订单已发货")
	q.Set("keyword", "nosuch")
	env, raw := e.QQAP("GET", q.Encode(), "", "")
	if env.Errcode != model.CodeNoKeyword || env.MsgID == 0 || !env.Sent {
		t.Fatalf("want errcode %d with msg_id and sent:true, got %s", model.CodeNoKeyword, raw)
	}
	e.WaitStatus(env.MsgID, model.StatusDelivered)

	// A failed send is not "sent": no msg_id, no sent flag.
	q.Set("QQ", "abc")
	env, raw = e.QQAP("GET", q.Encode(), "", "")
	if env.Errcode != model.CodeBadTarget || env.MsgID != 0 || env.Sent || strings.Contains(raw, `"sent"`) {
		t.Fatalf("failed send: %s", raw)
	}
}

// robotServer fakes a WeCom/DingTalk/Feishu robot webhook that accepts
// every message; it counts the posts.
func robotServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"errcode":0,"errmsg":"ok","code":0,"msg":"success"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestQQAP_ChannelChecksComeBeforeTheReply: everything a channel would
// refuse later (length, target form) is refused in the reply, and a group
// robot, whose group is fixed, needs no QQ or group.
func TestQQAP_ChannelChecksComeBeforeTheReply(t *testing.T) {
	e := start(t)
	robot, posts := robotServer(t)
	cfg, _ := json.Marshal(map[string]any{"channels": []map[string]any{
		{"name": "企业微信群", "type": "wecom", "config": map[string]string{"url": robot.URL + "/cgi-bin/webhook/send?key=k"}},
		{"name": "企业微信md", "type": "wecom", "config": map[string]string{"url": robot.URL + "/cgi-bin/webhook/send?key=k", "format": "markdown"}},
		{"name": "钉钉群", "type": "dingtalk", "config": map[string]string{"url": robot.URL + "/robot/send?access_token=t"}},
		{"name": "飞书群", "type": "feishu", "config": map[string]string{"url": robot.URL + "/open-apis/bot/v2/hook/h"}},
		{"name": "qq", "type": "onebot", "config": map[string]string{"url": "http://127.0.0.1:1"}},
	}})
	e.ImportJSON(string(cfg))
	tests := []struct {
		name, channel, qq, group, content string
		wantCode                          int
		wantIn                            []string // the errmsg names these
	}{
		{"WeCom text at its limit is accepted", "企业微信群", "", "", strings.Repeat("a", 2048), 0, nil},
		{"WeCom text over 2048 bytes is refused", "企业微信群", "", "", strings.Repeat("a", 2049), model.CodeTooLong, []string{"企业微信群", "2048"}},
		{"WeCom markdown has its own limit", "企业微信md", "", "", strings.Repeat("a", 4096), 0, nil},
		{"WeCom markdown over 4096 bytes is refused", "企业微信md", "", "", strings.Repeat("a", 4097), model.CodeTooLong, []string{"企业微信md", "4096"}},
		// "<" is 1 byte of content but 6 in the JSON body ("\u003c"): the
		// check measures what Feishu receives.
		{"Feishu body over 20 KB is refused", "飞书群", "", "", strings.Repeat("<", 5000), model.CodeTooLong, []string{"飞书群", "20 KB"}},
		{"a robot needs no target", "钉钉群", "", "", "日报已生成", 0, nil},
		{"a robot ignores a given target", "飞书群", "123", "", "日报已生成", 0, nil},
		{"a QQ channel still needs a target", "qq", "", "", "hi", model.CodeNoTarget, nil},
		{"the log channel checks QQ numbers like onebot", "log", "abc", "", "hi", model.CodeBadTarget, []string{"abc", "数字"}},
		{"the log channel checks group numbers", "log", "", "g1", "hi", model.CodeBadTarget, []string{"群号"}},
		{"the log channel takes QQ numbers", "log", seedQQ, "", "hi", 0, nil},
	}
	var accepted []int64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"channel": tt.channel, "qq": tt.qq, "group": tt.group, "content": tt.content})
			env, raw := e.QQAP("POST", e.Auth().Encode(), "application/json", string(body))
			if env.Errcode != tt.wantCode {
				t.Fatalf("errcode %d, want %d: %s", env.Errcode, tt.wantCode, raw)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(env.Errmsg, s) {
					t.Fatalf("errmsg %q does not name %q", env.Errmsg, s)
				}
			}
			if tt.wantCode != 0 {
				if env.MsgID != 0 {
					t.Fatalf("refused but queued: %s", raw)
				}
				return
			}
			accepted = append(accepted, env.MsgID)
		})
	}
	msgs, err := e.App.DB().Messages(context.Background(), model.MessageFilter{})
	if err != nil || len(msgs) != len(accepted) {
		t.Fatalf("queued %d messages, want only the %d accepted (%v)", len(msgs), len(accepted), err)
	}
	for _, id := range accepted {
		e.WaitStatus(id, model.StatusDelivered)
	}
	if got := posts.Load(); got != 4 {
		t.Fatalf("robot posts = %d, want the 4 accepted robot messages", got)
	}
	// The target-less robot message is stored as the robot's group, with no
	// label that could be mistaken for an id.
	m, err := e.App.DB().Message(context.Background(), accepted[2])
	if err != nil || m.Channel != "钉钉群" || m.TargetKind != "group" || m.Target != "" {
		t.Fatalf("robot message stored as %+v (%v), want kind group and an empty target", m, err)
	}
}

// TestNativeAPI_RobotNeedsNoTarget: POST /api/v1/messages without "to".
func TestNativeAPI_RobotNeedsNoTarget(t *testing.T) {
	e := start(t)
	robot, _ := robotServer(t)
	e.ImportJSON(`{"channels":[{"name":"群机器人","type":"wecom","config":{"url":"` + robot.URL + `/send?key=k"}}]}`)
	req, _ := http.NewRequest("POST", e.Base+"/api/v1/messages", strings.NewReader(`{"channel":"群机器人","content":"日报"}`))
	req.SetBasicAuth("demo", e.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		ID     int64  `json:"id"`
		To     string `json:"to"`
		ToType string `json:"to_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusAccepted || v.ID == 0 || v.To != "" || v.ToType != "group" {
		t.Fatalf("HTTP %d %+v (%v)", resp.StatusCode, v, err)
	}
	e.WaitStatus(v.ID, model.StatusDelivered)
}
