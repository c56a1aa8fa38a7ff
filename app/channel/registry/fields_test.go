package registry_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"botgate/app/channel"
	"botgate/app/channel/registry"
)

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// A type's declared fields are its form in the window: they must describe
// exactly its config keys, mark the same secrets and required keys, and
// tell an office admin in Chinese what to type and where to find it. (A
// type may declare none: it then gets a text box per key.)
func TestFields_DescribeEveryKeyInChinese(t *testing.T) {
	kinds := []channel.FieldKind{channel.FieldText, channel.FieldSecret, channel.FieldBool, channel.FieldChoice, channel.FieldNumber}
	for _, ty := range registry.Types() {
		if len(ty.Fields) == 0 {
			continue
		}
		t.Run(ty.Name, func(t *testing.T) {
			var keys []string
			for _, f := range ty.Fields {
				keys = append(keys, f.Key)
				switch {
				case !slices.Contains(kinds, f.Kind):
					t.Errorf("%s: kind %q is not one the form knows", f.Key, f.Kind)
				case !hasHan(f.Label) || !hasHan(f.Help):
					t.Errorf("%s: label %q and help %q must be Chinese", f.Key, f.Label, f.Help)
				case (f.Kind == channel.FieldSecret) != slices.Contains(ty.SecretKeys, f.Key):
					t.Errorf("%s: secret field %v, but SecretKeys %v", f.Key, f.Kind == channel.FieldSecret, ty.SecretKeys)
				case f.Required != slices.Contains(ty.Required, f.Key):
					t.Errorf("%s: required %v, but Required %v", f.Key, f.Required, ty.Required)
				case f.Kind == channel.FieldChoice && len(f.Choices) < 2:
					t.Errorf("%s: a choice needs at least two choices", f.Key)
				}
				for _, c := range f.Choices {
					if c.Value == "" || !hasHan(c.Label) {
						t.Errorf("%s: choice %+v needs a value and a Chinese label", f.Key, c)
					}
				}
				if f.Default != "" && f.Kind == channel.FieldChoice && !slices.ContainsFunc(f.Choices, func(c channel.Choice) bool { return c.Value == f.Default }) {
					t.Errorf("%s: default %q is not one of the choices", f.Key, f.Default)
				}
			}
			if !slices.Equal(keys, ty.Keys) {
				t.Errorf("fields %v, want the config keys in form order %v", keys, ty.Keys)
			}
		})
	}
}

// Every type the window offers today declares its form.
func TestFields_DeclaredForTheExistingTypes(t *testing.T) {
	for _, name := range []string{"onebot", "openqq", "gewe", "wecom", "dingtalk", "feishu", "xuanxuan", "wxmp", "log"} {
		ty, ok := registry.Lookup(name)
		if !ok || len(ty.Fields) == 0 {
			t.Errorf("type %s declares no fields", name)
		}
	}
}
