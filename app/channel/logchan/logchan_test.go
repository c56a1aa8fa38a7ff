package logchan

import (
	"testing"

	"botgate/app/channel"
)

func TestValidateTarget_QQNumbersUnlessAny(t *testing.T) {
	tests := []struct {
		targets, kind, to string
		ok                bool
	}{
		{"", channel.Private, "350310976", true},
		{"", channel.Group, "123456", true},
		{"", channel.Private, "abc", false},
		{"qq", channel.Group, "g1", false},
		{"QQ", channel.Private, "1 OR 1=1", false},
		{"any", channel.Private, "wxid_abc", true},
		{"any", channel.Group, "123@chatroom", true},
	}
	for _, tt := range tests {
		c, err := New(channel.Config{Name: "log", Type: "log", Values: map[string]string{"targets": tt.targets}}, channel.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		err = c.(channel.TargetValidator).ValidateTarget(tt.kind, tt.to)
		if (err == nil) != tt.ok {
			t.Errorf("targets %q: ValidateTarget(%s, %q) = %v, want ok=%v", tt.targets, tt.kind, tt.to, err, tt.ok)
		}
	}
}

func TestNew_RejectsUnknownTargets(t *testing.T) {
	_, err := New(channel.Config{Name: "log", Type: "log", Values: map[string]string{"targets": "wechat"}}, channel.Deps{})
	if err == nil || !channel.IsPermanent(err) {
		t.Fatalf("want a configuration error, got %v", err)
	}
}
