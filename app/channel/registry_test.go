package channel_test

import (
	"slices"
	"testing"

	"botgate/app"
)

func TestChannelTypes_KeysAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, ty := range app.ChannelTypes() {
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
	for _, name := range []string{"onebot", "openqq", "gewe", "xuanxuan", "wxmp", "wecom", "dingtalk", "feishu", "log"} {
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
		{"gewe", false, false, true},
		{"xuanxuan", true, true, true},
		{"wxmp", true, false, true},
		{"wecom", true, false, false},
		{"dingtalk", true, false, false},
		{"feishu", true, false, false},
		{"log", false, false, true}, // checks QQ and group numbers, as the QQ bot it stands in for
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			test, contacts, validates := app.ChannelCapabilities(tt.typ)
			if test != tt.test || contacts != tt.contacts || validates != tt.validates {
				t.Errorf("capabilities = %v %v %v, want %v %v %v", test, contacts, validates, tt.test, tt.contacts, tt.validates)
			}
		})
	}
}
