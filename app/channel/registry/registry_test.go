package registry_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"botgate/app/channel"
	"botgate/app/channel/registry"
	"botgate/model"
)

func TestChannelTypes_KeysAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, ty := range registry.Types() {
		if seen[ty.Name] {
			t.Errorf("type %s listed twice", ty.Name)
		}
		seen[ty.Name] = true
		for _, k := range append(slices.Clone(ty.SecretKeys), ty.Required...) {
			if !slices.Contains(ty.Keys, k) {
				t.Errorf("%s: key %q is secret or required but not in Keys", ty.Name, k)
			}
		}
		if ty.Name != "log" && ty.RatePerMinute <= 0 {
			t.Errorf("%s: no default rate limit", ty.Name)
		}
	}
	for _, name := range []string{"onebot", "openqq", "gewe", "xuanxuan", "wxmp", "wecom", "dingtalk", "feishu", "log", "dingtalk_app", "feishu_app"} {
		if !seen[name] {
			t.Errorf("type %s is not registered", name)
		}
	}
}

func TestChannelCapabilities_PerType(t *testing.T) {
	tests := []struct {
		typ                       string
		test, contacts, validates bool
	}{
		{"onebot", true, true, true},
		{"openqq", true, true, true},
		{"gewe", true, true, true},
		{"xuanxuan", true, true, true},
		{"wxmp", true, false, true},
		{"wecom", true, false, false},
		{"dingtalk", true, false, false},
		{"feishu", true, false, false},
		{"wecom_app", true, true, true},
		{"log", false, false, true}, // checks QQ and group numbers, as the QQ bot it stands in for
		{"dingtalk_app", true, false, true},
		{"feishu_app", true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			ty, ok := registry.Lookup(tt.typ)
			if !ok {
				t.Fatalf("type %s not found", tt.typ)
			}
			test, contacts, validates := ty.Caps.Test, ty.Caps.Directory, ty.Caps.Validates
			if test != tt.test || contacts != tt.contacts || validates != tt.validates {
				t.Errorf("capabilities = %v %v %v, want %v %v %v", test, contacts, validates, tt.test, tt.contacts, tt.validates)
			}
		})
	}
}

// validConfig is a configuration each type's factory accepts, every URL on
// loopback. A type missing here fails the test, so a new platform must say
// how it is built before its declared capabilities can be checked.
var validConfig = map[string]map[string]string{
	"onebot":   {"url": "http://127.0.0.1:3000"},
	"openqq":   {"url": "http://127.0.0.1:5000"},
	"gewe":     {"url": "http://127.0.0.1:2531", "token": "t", "appid": "wx_1"},
	"xuanxuan": {"url": "http://127.0.0.1:11443", "code": "botgate", "key": "k"},
	"wxmp":     {"url": "http://127.0.0.1:13001", "client_id": "c", "client_secret": "s", "application_key": "a"},
	"wecom":    {"url": "http://127.0.0.1:1/cgi-bin/webhook/send?key=k"},
	"dingtalk": {"url": "http://127.0.0.1:1/robot/send?access_token=t", "secret": "SEC1"},
	"feishu":   {"url": "http://127.0.0.1:1/open-apis/bot/v2/hook/h", "secret": "s"},
	"log":      {},
	"wecom_app": {"url": "http://127.0.0.1:1", "corp_id": "ww1", "corp_secret": "s", "agent_id": "1000002",
		"callback_token": "t", "callback_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"},
	"dingtalk_app": {"url": "http://127.0.0.1:1", "client_id": "dingk", "client_secret": "s"},
	"feishu_app":   {"url": "http://127.0.0.1:1", "app_id": "cli_a", "app_secret": "s"},
}

// otherConfigs are the further configurations of a type whose configuration
// picks how it talks to its platform: its declared capabilities are what
// its configurations implement together.
var otherConfigs = map[string][]map[string]string{
	"onebot": {
		{"transport": "ws", "url": "ws://127.0.0.1:3001"},
		{"transport": "ws-reverse"},
	},
}

// Declared capabilities are what the connector implements: the window shows
// buttons from the declaration, and the button calls the interface. A type
// with an AcceptPath has configurations that take connections there.
func TestCaps_MatchWhatTheConnectorImplements(t *testing.T) {
	for _, ty := range registry.Types() {
		t.Run(ty.Name, func(t *testing.T) {
			vals, ok := validConfig[ty.Name]
			if !ok {
				t.Fatalf("no valid config for type %s in this test", ty.Name)
			}
			var together channel.Caps
			accepts := false
			for i, vals := range append([]map[string]string{vals}, otherConfigs[ty.Name]...) {
				ch, got, err := registry.New(model.Channel{Name: "caps", Type: ty.Name, Config: vals}, channel.Deps{})
				if err != nil {
					t.Fatalf("building %s with %v: %v", ty.Name, vals, err)
				}
				if got.Name != ty.Name {
					t.Fatalf("New returned type %q", got.Name)
				}
				_, test := ch.(channel.Tester)
				_, dir := ch.(channel.Directory)
				_, validates := ch.(channel.TargetValidator)
				_, webhook := ch.(channel.Webhook)
				_, listener := ch.(channel.Listener)
				_, fixed := ch.(channel.FixedTarget)
				_, acceptor := ch.(channel.Acceptor)
				implemented := channel.Caps{Test: test, Directory: dir, Validates: validates, Webhook: webhook,
					Listener: listener, FixedTarget: fixed}
				if i == 0 && len(otherConfigs[ty.Name]) == 0 && ty.Caps != implemented {
					t.Errorf("declared %+v, the connector implements %+v", ty.Caps, implemented)
				}
				together = channel.Caps{Test: together.Test || test, Directory: together.Directory || dir,
					Validates: together.Validates || validates, Webhook: together.Webhook || webhook,
					Listener: together.Listener || listener, FixedTarget: together.FixedTarget || fixed}
				accepts = accepts || acceptor
			}
			if ty.Caps != together {
				t.Errorf("declared %+v, its configurations implement %+v", ty.Caps, together)
			}
			if ty.AcceptPath != "" && (!strings.HasPrefix(ty.AcceptPath, "/") || !strings.HasSuffix(ty.AcceptPath, "/")) {
				t.Errorf("AcceptPath %q must start and end with /", ty.AcceptPath)
			}
			if (ty.AcceptPath != "") != accepts {
				t.Errorf("AcceptPath %q, but a connector that takes connections: %v", ty.AcceptPath, accepts)
			}
		})
	}
}

func TestNew_NamesUnknownTypesAndReturnsFactoryErrors(t *testing.T) {
	t.Run("unknown type names the type", func(t *testing.T) {
		_, _, err := registry.New(model.Channel{Name: "x", Type: "msn"}, channel.Deps{})
		var ce *channel.Error
		if !errors.As(err, &ce) || ce.Msg != `未知的通道类型 "msn"` {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("factory errors come back with the type", func(t *testing.T) {
		_, ty, err := registry.New(model.Channel{Name: "x", Type: "onebot", Config: map[string]string{"url": "ftp://127.0.0.1"}}, channel.Deps{})
		if err == nil || ty.Name != "onebot" {
			t.Fatalf("got %v, type %q", err, ty.Name)
		}
	})
}

// A type that declares its form fields declares one per config key, with
// the same required and secret keys, and a label and help for each.
func TestFields_MatchKeys(t *testing.T) {
	for _, ty := range registry.Types() {
		if len(ty.Fields) == 0 {
			continue
		}
		t.Run(ty.Name, func(t *testing.T) {
			var keys, required, secret []string
			for _, f := range ty.Fields {
				keys = append(keys, f.Key)
				if f.Required {
					required = append(required, f.Key)
				}
				if f.Kind == channel.FieldSecret {
					secret = append(secret, f.Key)
				}
				if f.Label == "" || (f.Help == "" && f.Kind != channel.FieldChoice) {
					t.Errorf("field %s has no label or help", f.Key)
				}
				for _, c := range f.Choices {
					if c.Label == "" {
						t.Errorf("field %s: choice %q has no label", f.Key, c.Value)
					}
				}
			}
			sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
			if !slices.Equal(sorted(keys), sorted(ty.Keys)) || !slices.Equal(sorted(required), sorted(ty.Required)) || !slices.Equal(sorted(secret), sorted(ty.SecretKeys)) {
				t.Errorf("fields %v (required %v, secret %v); keys %v (required %v, secret %v)", keys, required, secret, ty.Keys, ty.Required, ty.SecretKeys)
			}
		})
	}
}
