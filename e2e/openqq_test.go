package e2e_test

import (
	"net/http"
	"net/url"
	"testing"

	ct "botgate/app/channel/channeltest"
	"botgate/model"
)

// TestQQAP_Openqq_ReachesMojoWebqq2: a QQAP send to an openqq channel left
// at api auto is delivered by a Mojo-Webqq 2.x, which has no send_message:
// friends by send_friend_message uid, groups by send_group_message uid.
func TestQQAP_Openqq_ReachesMojoWebqq2(t *testing.T) {
	e := start(t)
	mojo := ct.New(t, func(c ct.Call) ct.Reply {
		f, _ := url.ParseQuery(string(c.Body)) // on the fake's goroutine: no t.Fatal
		switch {
		case c.Path == "/openqq/send_friend_message" && f.Get("uid") == seedQQ:
		case c.Path == "/openqq/send_group_message" && f.Get("uid") == "552603":
		case c.Path == "/openqq/send_friend_message":
			return ct.JSON(`{"id":null,"code":100,"status":"friend not found"}`)
		case c.Path == "/openqq/send_group_message":
			return ct.JSON(`{"id":null,"code":101,"status":"group not found"}`)
		default:
			return ct.Reply{Status: http.StatusNotFound, Body: "Page not found"}
		}
		return ct.JSON(`{"id":23910327,"code":0,"status":"发送成功","info":"发送正常"}`)
	})
	e.ImportJSON(`{"channels":[{"name":"webqq2","type":"openqq","config":{"url":"` + mojo.URL + `"}}]}`)
	for _, target := range [][2]string{{seedQQ, ""}, {seedQQ, "552603"}} {
		q := e.Auth()
		q.Set("channel", "webqq2")
		q.Set("QQ", target[0])
		q.Set("group", target[1])
		q.Set("content", "订单已发货")
		env, raw := e.QQAP("GET", q.Encode(), "", "")
		if env.Errcode != 0 || env.MsgID == 0 {
			t.Fatalf("send: %s", raw)
		}
		e.WaitStatus(env.MsgID, model.StatusDelivered)
	}
	var paths []string
	for _, c := range mojo.Calls() {
		paths = append(paths, c.Path)
	}
	if len(paths) != 2 || paths[0] != "/openqq/send_friend_message" || paths[1] != "/openqq/send_group_message" {
		t.Fatalf("calls %v", paths)
	}
}
