package feishufake

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"botgate/app/channel/feishuapp/wsframe"
)

// The fake speaks the long connection as Feishu does: the SDK's own ws
// client, pointed at it (WithDomain), asks for the endpoint, connects,
// pings and takes the pong, receives an im.message.receive_v1 event — whole
// and split in parts — through its event dispatcher, and answers it with
// code 200.
//
// The SDK's client cannot be stopped (Start blocks forever, there is no
// Close): it is left running until the test binary exits, with auto
// reconnect off so that it goes quiet once the fake closes.
func TestSDKClient_ConnectsAndReceivesAnEvent(t *testing.T) {
	s := New(t)
	got := make(chan *larkim.P2MessageReceiveV1, 2)
	h := dispatcher.NewEventDispatcher("", "").OnP2MessageReceiveV1(func(_ context.Context, ev *larkim.P2MessageReceiveV1) error {
		got <- ev
		return nil
	})
	cli := larkws.NewClient(AppID, AppSecret, larkws.WithDomain(s.URL), larkws.WithEventHandler(h),
		larkws.WithAutoReconnect(false), larkws.WithLogLevel(larkcore.LogLevelError))
	go cli.Start(context.Background())
	c := s.NextConn(t)
	c.PartGap = 50 * time.Millisecond // the SDK's combine() races on parts that come together (PartGap)

	ping := c.NextPing(t)
	if ping.Service != ServiceID || ping.Get(wsframe.HeaderType) != "ping" {
		t.Fatalf("the SDK's ping %+v: want service %d, type ping", ping, ServiceID)
	}

	for _, parts := range []int{1, 3} {
		ev := s.Text("ou_sender0001", "oc_fakegroup0001", "@_user_1 账号 cs02", BotMention)
		resp, err := c.Push(ev, parts)
		if err != nil {
			t.Fatalf("%d part(s): %v", parts, err)
		}
		var r struct {
			Code int `json:"code"`
		}
		if json.Unmarshal(resp, &r) != nil || r.Code != 200 {
			t.Fatalf("%d part(s): the SDK answered %s, want code 200", parts, resp)
		}
		select {
		case e := <-got:
			m := e.Event.Message
			if *e.Event.Sender.SenderId.OpenId != "ou_sender0001" || *m.ChatId != "oc_fakegroup0001" || *m.ChatType != "group" ||
				*m.Content != `{"text":"@_user_1 账号 cs02"}` || *m.Mentions[0].Key != "@_user_1" || e.EventV2Base.Header.AppID != AppID {
				t.Fatalf("the SDK decoded %+v / %+v", e.Event.Sender, m)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%d part(s): the SDK's handler got nothing", parts)
		}
	}
}
