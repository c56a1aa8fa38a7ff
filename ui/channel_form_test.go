package ui

import (
	"context"
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2/test"

	"botgate/app/channel"
)

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// The form of a type is built from its declared fields: Chinese labels
// (never the config key), a password box for a secret, a checkbox for a
// yes/no, a dropdown for a choice, the example as placeholder, and a help
// line under each field.
func TestChannelForm_BuiltFromFields_WidgetByKindChineseLabelsAndHelp(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.selectKind("dingtalk")
	f := c.form
	if in := f.inputs["url"]; in.entry == nil || !in.entry.Password || !strings.Contains(in.entry.PlaceHolder, "https://oapi.dingtalk.com/robot/send") {
		t.Fatalf("url: %+v, want a password entry with the webhook example", in)
	}
	if in := f.inputs["at_all"]; in.check == nil || in.check.Text != "每条都 @所有人" {
		t.Fatalf("at_all is not a labelled checkbox: %+v", in)
	}
	if in := f.inputs["format"]; in.sel == nil || in.sel.Selected != "纯文本（默认）" || len(in.sel.Options) != 2 {
		t.Fatalf("format is not a dropdown showing its default: %+v", in.sel)
	}
	for _, it := range f.box.Items {
		for _, key := range dingtalkKeys {
			if strings.Contains(it.Text, key) {
				t.Errorf("label %q shows the config key %q", it.Text, key)
			}
		}
	}
	all := strings.Join(visibleTexts(f.box), "\n")
	for _, want := range []string{"群设置 → 机器人 → 添加机器人", "以 SEC 开头的密钥"} {
		if !strings.Contains(all, want) {
			t.Errorf("the form does not say where to find the value (%q):\n%s", want, all)
		}
	}
}

var dingtalkKeys = []string{"url", "secret", "format", "at_mobiles", "at_all"}

// A checkbox and a dropdown are saved as the config values the connector
// reads, and shown again from them.
func TestChannelForm_CheckboxAndChoice_SavedAsConfigAndShownAgain(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.name.SetText("销售群")
	c.selectKind("dingtalk")
	c.key("url").SetText("https://oapi.dingtalk.com/robot/send?access_token=abc")
	c.form.inputs["at_all"].check.SetChecked(true)
	c.form.inputs["format"].sel.SetSelectedIndex(1)
	c.save()
	if msg := c.errs.text("") + c.errs.text("url") + c.errs.text("config"); msg != "" {
		t.Fatalf("save refused: %s", msg)
	}
	cf, err := h.a.Export(context.Background())
	if err != nil || len(cf.Channels) != 1 {
		t.Fatalf("export: %v %+v", err, cf.Channels)
	}
	if v := cf.Channels[0].Config; v["at_all"] != "true" || v["format"] != "markdown" {
		t.Fatalf("saved config %v, want at_all=true format=markdown", v)
	}
	c.newChannel()
	c.selectName("销售群")
	if !c.form.inputs["at_all"].check.Checked || c.form.inputs["format"].sel.SelectedIndex() != 1 {
		t.Fatal("the saved checkbox and choice are not shown again")
	}
}

// A type that declares no fields (a connector from before them) still gets
// a text box per config key, a password box for its secrets.
func TestChannelForm_TypeWithoutFields_TextBoxPerKey(t *testing.T) {
	test.NewTempApp(t)
	ty := channel.Type{Name: "old", Keys: []string{"url", "token"}, SecretKeys: []string{"token"}, Required: []string{"url"}}
	f := newChannelForm(ty, map[string]string{"url": "http://127.0.0.1:1", "token": "t"}, newFieldErrors(nil))
	if len(f.box.Items) != 2 || f.box.Items[0].Text != "url *" || f.box.Items[1].Text != "token" {
		t.Fatalf("items %q %q", f.box.Items[0].Text, f.box.Items[1].Text)
	}
	if !f.inputs["token"].entry.Password || f.inputs["url"].entry.Text != "http://127.0.0.1:1" {
		t.Fatal("the fallback form lost the secret box or the value")
	}
	if v := f.values(); v["url"] != "http://127.0.0.1:1" || v["token"] != "t" {
		t.Fatalf("values %v", v)
	}
}

// A mistake shows under its field as it is typed, and goes when corrected;
// 保存 refuses what is still wrong, at the field.
func TestChannelForm_ValidatedAtTheFieldWhileTyping(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.name.SetText("群")
	c.selectKind("dingtalk")
	test.Type(c.key("url"), "oapi.dingtalk.com/robot/send?access_token=x")
	if got := c.errs.text("url"); !strings.Contains(got, "https://") || !hasHan(got) {
		t.Fatalf("message at url while typing %q, want it to ask for https://", got)
	}
	c.key("url").SetText("https://oapi.dingtalk.com/robot/send?access_token=x")
	if got := c.errs.text("url"); got != "" {
		t.Fatalf("message stays after the fix: %q", got)
	}
	c.selectKind("wxmp")
	test.Type(c.key("port_id"), "四")
	if got := c.errs.text("port_id"); !strings.Contains(got, "整数") {
		t.Fatalf("message at port_id %q", got)
	}
	c.save()
	if got := c.errs.text("url"); !strings.Contains(got, "必填") || !strings.Contains(got, c.label("url")) {
		t.Fatalf("an empty required field is not refused by its label at 保存: %q", got)
	}
	if cs, _ := h.a.ListChannels(context.Background()); len(cs) != 0 {
		t.Fatalf("saved although refused: %+v", cs)
	}
}

// The start of an address being typed is not flagged ("https:/"); an
// address without its scheme is.
func TestChannelForm_SchemeBeingTyped_NotFlagged(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.selectKind("onebot")
	for _, r := range "http://" {
		test.Type(c.key("url"), string(r))
		if got := c.errs.text("url"); got != "" {
			t.Fatalf("flagged at %q: %q", c.key("url").Text, got)
		}
	}
	c.key("url").SetText("127.0.0.1:3000")
	if got := c.errs.text("url"); !strings.Contains(got, "http://") {
		t.Fatalf("an address without http:// is not flagged: %q", got)
	}
}

// OneBot's url is needed for HTTP and forward WebSocket, not for reverse
// WebSocket (NapCat connects to BotGate): the form asks for it only there.
func TestChannelForm_ConditionalField_RequiredOnlyWhereUsed(t *testing.T) {
	h := newHarness(t)
	c := h.u.channels
	c.newChannel()
	c.selectKind("onebot")
	f := c.form
	for _, it := range f.box.Items {
		if strings.HasPrefix(it.Text, T("NapCat/LLBot 地址")) && strings.HasSuffix(it.Text, "*") {
			t.Fatalf("url is marked required for every transport: %q", it.Text)
		}
	}
	tests := []struct {
		transport int // index in the dropdown: HTTP, forward, reverse
		wantError bool
	}{{0, true}, {1, true}, {2, false}}
	for _, tt := range tests {
		f.inputs["transport"].sel.SetSelectedIndex(tt.transport)
		err := f.fieldError(f.inputs["url"].f)
		if (err != nil) != tt.wantError {
			t.Errorf("transport %d, empty url: error %v, want error %v", tt.transport, err, tt.wantError)
		}
	}
}

// A listening channel's note says how its connection stands.
func TestListenerNote_SaysConnectedOrWhyNot(t *testing.T) {
	states := map[string]channel.ListenerState{
		"钉钉应用": {Connected: true},
		"飞书应用": {Err: "长连接被拒绝：应用还没有发布"},
	}
	for _, tt := range []struct{ name, want string }{
		{"钉钉应用", "已连接"},
		{"飞书应用", "重连中：长连接被拒绝：应用还没有发布"},
		{"QQ", "未连接"},
	} {
		if got := listenerNote(states, tt.name); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want it to say %q", tt.name, got, tt.want)
		}
	}
}
