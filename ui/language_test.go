package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/lang"

	"botgate/app"
)

// The window is Chinese on an English system too (DESIGN: Chinese by
// default), Fyne's own dialog words included.
func TestLanguage_ChineseByDefaultWhateverTheSystem(t *testing.T) {
	t.Setenv("LANGUAGE", "en_US")
	t.Setenv("LC_ALL", "en_US.UTF-8")
	h := newHarness(t)
	if got := h.u.tabs.Items[0].Text; got != "服务" {
		t.Fatalf("first tab %q on an English system", got)
	}
	for en, zh := range map[string]string{"Cancel": "取消", "Yes": "是", "OK": "确定", "Save": "保存"} {
		if got := lang.L(en); got != zh {
			t.Errorf("Fyne's %q shows as %q, want %q", en, got, zh)
		}
	}
	if placeName("Home") != "主目录" {
		t.Error("the file dialog's Home is not translated")
	}
}

// 关于 → 语言 switches the window to English at once and keeps the choice
// for the next start; switching back gives Chinese again.
func TestLanguage_ChosenInAbout_AppliedAndRemembered(t *testing.T) {
	h := newHarness(t)
	t.Cleanup(func() { setLanguage(LangChinese) })
	h.u.about.lang.SetSelectedIndex(1)
	if got := h.u.tabs.Items[0].Text; got != "Service" {
		t.Fatalf("first tab %q after choosing English", got)
	}
	if lang.L("Cancel") != "Cancel" || T("保存") != "Save" {
		t.Fatalf("words after choosing English: %q %q", lang.L("Cancel"), T("保存"))
	}
	if got := h.u.fa.Preferences().String(prefLanguage); got != LangEnglish {
		t.Fatalf("preference %q", got)
	}
	// The next start reads the preference.
	setLanguage(LangChinese)
	u2 := New(h.u.fa, h.a, Options{Version: "test", Log: h.u.log, Poll: h.u.opts.Poll, inline: true})
	defer u2.Close()
	if got := u2.tabs.Items[0].Text; got != "Service" {
		t.Fatalf("next start shows %q", got)
	}
	u2.about.lang.SetSelectedIndex(0)
	if got := u2.tabs.Items[0].Text; got != "服务" || lang.L("Cancel") != "取消" {
		t.Fatalf("back to Chinese: %q %q", got, lang.L("Cancel"))
	}
}

// In English the forms of the platforms the window has always had are
// English too (labels, help lines, choices, what the channel carries).
func TestLanguage_PlatformFormsHaveEnglish(t *testing.T) {
	existing := []string{"onebot", "openqq", "gewe", "wecom", "dingtalk", "feishu", "xuanxuan", "wxmp", "log"}
	for _, ty := range app.ChannelTypes() {
		if !slices.Contains(existing, ty.Name) {
			continue
		}
		texts := []string{ty.Extras.Describe()}
		for _, f := range ty.Fields {
			texts = append(texts, f.Label, f.Help)
			for _, c := range f.Choices {
				texts = append(texts, c.Label)
			}
		}
		for _, s := range texts {
			if english[s] == "" {
				t.Errorf("%s: %q has no English translation", ty.Name, s)
			}
		}
	}
}
