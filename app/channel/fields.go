package channel

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
}
