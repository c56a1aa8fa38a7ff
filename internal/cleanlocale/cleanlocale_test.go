package cleanlocale

import "testing"

func TestSettle(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // LANGUAGE afterwards
	}{
		{"Debian default C.UTF-8", map[string]string{"LANG": "C.UTF-8"}, "zh_CN"},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "C.utf8", "LANG": "en_US.UTF-8"}, "zh_CN"},
		{"an English desktop is left alone", map[string]string{"LANG": "en_US.UTF-8"}, ""},
		{"a Chinese desktop is left alone", map[string]string{"LANG": "zh_CN.UTF-8"}, ""},
		{"plain C is left alone (Fyne reads it fine)", map[string]string{"LANG": "C"}, ""},
		{"LANGUAGE set by the user is kept", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "en"}, "en"},
		{"nothing set", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			settle(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if got := env["LANGUAGE"]; got != tt.want {
				t.Fatalf("LANGUAGE = %q, want %q", got, tt.want)
			}
		})
	}
}
