package channel

import (
	"slices"
	"strings"
)

// The window's channel form is generated from the fields a type declares:
// an office admin sees a Chinese label, a help line saying where the value is
// found in that platform's console, and the right kind of widget, instead of
// a raw config key.

// FieldKind is the widget a field gets.
type FieldKind string

const (
	FieldText   FieldKind = "text"   // one line of text (URLs, ids)
	FieldSecret FieldKind = "secret" // a password entry; masked in export and logs
	FieldBool   FieldKind = "bool"   // a checkbox; stored as "true" or "false"
	FieldChoice FieldKind = "choice" // a dropdown of Choices
	FieldNumber FieldKind = "number" // a whole number
)

// Choice is one value of a FieldChoice and how the dropdown shows it.
type Choice struct {
	Value string
	Label string // Chinese
}

// Field describes one config key of a channel type.
type Field struct {
	Key      string
	Label    string // Chinese, short: "机器人地址"
	Help     string // Chinese: what it is and where to find it in the platform's console
	Kind     FieldKind
	Required bool
	Example  string // shown as the placeholder
	Default  string // used when the admin leaves it empty
	Choices  []Choice
	// OnlyWhen limits the field to the configurations it is used in
	// (OneBot's url is not used with transport ws-reverse): the form may hide
	// it in the others, and there it is not required. nil: always used.
	OnlyWhen *FieldCondition
}

// FieldCondition holds when another field's value is one of Values; that
// field left empty counts as its Default.
type FieldCondition struct {
	Key    string
	Values []string
}

// Needed lists the keys of t.Required that the configuration values uses:
// a required field whose OnlyWhen does not hold may be left empty.
func (t Type) Needed(values map[string]string) []string {
	var keys []string
	for _, k := range t.Required {
		if f, ok := t.field(k); !ok || f.OnlyWhen == nil || t.holds(*f.OnlyWhen, values) {
			keys = append(keys, k)
		}
	}
	return keys
}

func (t Type) field(key string) (Field, bool) {
	for _, f := range t.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

func (t Type) holds(c FieldCondition, values map[string]string) bool {
	v := strings.TrimSpace(values[c.Key])
	if f, ok := t.field(c.Key); ok && v == "" {
		v = f.Default
	}
	return slices.Contains(c.Values, v)
}
