package onebot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"botgate/app/channel"
)

// The url is checked by channel.BaseURL like every other connector's: a
// scheme without a host is refused at save, not at the first send.
func TestNew_URLRules(t *testing.T) {
	tests := []struct{ url, wantBase, wantErr string }{
		{"http://127.0.0.1:3000/", "http://127.0.0.1:3000", ""},
		{"", "", "OneBot 通道缺少 url（例如 http://127.0.0.1:3000）"},
		{"ws://127.0.0.1:3001", "", "OneBot 通道的 url 必须是以 http:// 或 https:// 开头的完整地址"},
		{"http://", "", "完整地址"},
	}
	for _, tt := range tests {
		c, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"url": tt.url}}, channel.Deps{})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("url %q: got %v, want %q", tt.url, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.(*Connector).base != tt.wantBase {
			t.Errorf("url %q: got %v, %v; want base %q", tt.url, c, err, tt.wantBase)
		}
	}
}

// The form describes every key, in Keys' order, with secrets as secrets and
// the transport as a choice whose default is one of its values.
func TestType_FieldsDescribeEveryKey(t *testing.T) {
	if len(Type.Fields) != len(Type.Keys) {
		t.Fatalf("%d fields for keys %v", len(Type.Fields), Type.Keys)
	}
	for i, f := range Type.Fields {
		if f.Key != Type.Keys[i] || f.Label == "" || f.Help == "" {
			t.Errorf("field %d = %+v, want key %s with a label and help", i, f, Type.Keys[i])
		}
		if secret := f.Kind == channel.FieldSecret; secret != slices.Contains(Type.SecretKeys, f.Key) {
			t.Errorf("%s: kind %s, secret keys %v", f.Key, f.Kind, Type.SecretKeys)
		}
	}
	tr := Type.Fields[0]
	var values []string
	for _, c := range tr.Choices {
		values = append(values, c.Value)
	}
	if tr.Kind != channel.FieldChoice || !slices.Equal(values, []string{HTTP, WS, WSReverse}) || tr.Default != HTTP {
		t.Errorf("transport field %+v", tr)
	}
}

// Over ws-reverse the window's buttons cannot make the connection: they
// say how NapCat makes it.
func TestReverse_TestWithoutConnection_SaysHowToConnect(t *testing.T) {
	c, err := New(channel.Config{Name: "qq", Type: "onebot", Values: map[string]string{"transport": "ws-reverse"}}, channel.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	err = c.(channel.Tester).Test(context.Background())
	var ce *channel.Error
	if !errors.As(err, &ce) || !ce.Permanent || !strings.Contains(ce.Msg, "ws://BotGate地址:端口/onebot/v11/ws/qq") {
		t.Fatalf("got %v", err)
	}
}
