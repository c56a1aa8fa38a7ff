package ui

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"botgate/app/channel"
)

// channelForm is the settings of one channel type as a form generated from
// the fields the type declares (channel.Type.Fields): a Chinese label, the
// right widget for the kind, the example as placeholder and a help line
// saying where the value is found. A type without Fields gets a text box
// per config key, as before the fields existed.
type channelForm struct {
	typ    channel.Type
	fields []channel.Field
	inputs map[string]*fieldInput
	errs   *fieldErrors
	box    *widget.Form
}

// fieldInput is the widget of one field.
type fieldInput struct {
	f     channel.Field
	entry *widget.Entry  // text, secret, number
	check *widget.Check  // bool
	sel   *widget.Select // choice
}

// typeFields is t's fields: those declared, then a plain text field for any
// config key they leave out.
func typeFields(t channel.Type) []channel.Field {
	fs := slices.Clone(t.Fields)
	for _, k := range t.Keys {
		if slices.ContainsFunc(fs, func(f channel.Field) bool { return f.Key == k }) {
			continue
		}
		kind := channel.FieldText
		if slices.Contains(t.SecretKeys, k) {
			kind = channel.FieldSecret
		}
		fs = append(fs, channel.Field{Key: k, Label: k, Kind: kind, Required: slices.Contains(t.Required, k)})
	}
	return fs
}

// newChannelForm builds t's form showing values; errs gets a message label
// per field, named by its key (the name the app's validation uses).
func newChannelForm(t channel.Type, values map[string]string, errs *fieldErrors) *channelForm {
	c := &channelForm{typ: t, fields: typeFields(t), inputs: map[string]*fieldInput{}, errs: errs, box: widget.NewForm()}
	for _, f := range c.fields {
		in := &fieldInput{f: f}
		c.inputs[f.Key] = in
		var w fyne.CanvasObject
		switch f.Kind {
		case channel.FieldBool:
			in.check = widget.NewCheck(T(f.Label), nil)
			w = in.check
		case channel.FieldChoice:
			var labels []string
			for _, ch := range f.Choices {
				labels = append(labels, T(ch.Label))
			}
			in.sel = newSelect(labels, nil)
			w = in.sel
		default:
			in.entry = widget.NewEntry()
			if f.Kind == channel.FieldSecret {
				in.entry = widget.NewPasswordEntry()
			}
			in.entry.SetPlaceHolder(placeholder(f))
			w = in.entry
		}
		item := errs.field(w, f.Key)
		if in.entry != nil {
			key := f.Key
			// Checked as typed, so that a mistake shows while the admin
			// still looks at the field; the save checks again.
			in.entry.OnChanged = chain(in.entry.OnChanged, func(string) { c.checkField(key) })
		}
		if f.Help != "" {
			item = container.NewVBox(item, helpLabel(T(f.Help)))
		}
		label := T(f.Label)
		if f.Kind == channel.FieldBool {
			label = ""
		}
		if f.Required && f.OnlyWhen == nil {
			label += " *" // a conditional one (OneBot's url) is checked against the other fields
		}
		c.box.Append(label, item)
	}
	c.set(values)
	return c
}

// chain returns a change callback running first, then then.
func chain(first, then func(string)) func(string) {
	return func(s string) {
		if first != nil {
			first(s)
		}
		then(s)
	}
}

// placeholder is the hint shown in an empty entry.
func placeholder(f channel.Field) string {
	switch {
	case f.Example != "" && f.Required && f.OnlyWhen == nil:
		return T("必填，例如 ") + f.Example
	case f.Example != "":
		return T("例如 ") + f.Example
	case f.Default != "":
		return T("留空 = ") + f.Default
	case f.Required && f.OnlyWhen == nil:
		return T("必填")
	}
	return T("可不填")
}

// set shows values in the form (a missing key shows its default).
func (c *channelForm) set(values map[string]string) {
	for _, f := range c.fields {
		in := c.inputs[f.Key]
		v, ok := values[f.Key]
		switch {
		case in.check != nil:
			if !ok {
				v = f.Default
			}
			on, _ := strconv.ParseBool(strings.TrimSpace(v))
			in.check.SetChecked(on)
		case in.sel != nil:
			if !ok || v == "" {
				v = f.Default
			}
			in.sel.ClearSelected()
			for i, ch := range f.Choices {
				if strings.EqualFold(ch.Value, strings.TrimSpace(v)) {
					in.sel.SetSelectedIndex(i)
				}
			}
		default:
			in.entry.SetText(v)
		}
	}
}

// values reads the form. An empty text field is left out (the connector
// takes its default); a checkbox is stored when it differs from the default.
func (c *channelForm) values() map[string]string {
	out := map[string]string{}
	for _, f := range c.fields {
		in := c.inputs[f.Key]
		switch {
		case in.check != nil:
			def, _ := strconv.ParseBool(f.Default)
			if in.check.Checked != def {
				out[f.Key] = strconv.FormatBool(in.check.Checked)
			}
		case in.sel != nil:
			if i := in.sel.SelectedIndex(); i >= 0 && i < len(f.Choices) {
				out[f.Key] = f.Choices[i].Value
			}
		default:
			if v := strings.TrimSpace(in.entry.Text); v != "" {
				out[f.Key] = v
			}
		}
	}
	return out
}

// snapshot is the form's content, for the unsaved-changes mark.
func (c *channelForm) snapshot() string {
	v := c.values()
	var b strings.Builder
	for _, f := range c.fields {
		fmt.Fprintf(&b, "%s=%q;", f.Key, v[f.Key])
	}
	return b.String()
}

// check validates every field; the first problem is returned, at its field.
func (c *channelForm) check() error {
	for _, f := range c.fields {
		if err := c.fieldError(f); err != nil {
			return err
		}
	}
	return nil
}

// checkField shows or clears the message of one text field as it is typed.
// An empty required field is not flagged while typing: that waits for 保存.
func (c *channelForm) checkField(key string) {
	in := c.inputs[key]
	if in == nil || in.entry == nil || strings.TrimSpace(in.entry.Text) == "" {
		return
	}
	if v := strings.TrimSpace(in.entry.Text); schemeTyped.MatchString(v) && !strings.Contains(v, "://") {
		return // "http", "https:/": the start of an address, not yet a mistake
	}
	if err := c.fieldError(in.f); err != nil {
		l := c.errs.labels[key]
		l.SetText(errText(err))
		l.Show()
		c.errs.layout()
	}
}

// fieldError is what is wrong with one field as filled in, or nil.
func (c *channelForm) fieldError(f channel.Field) error {
	in := c.inputs[f.Key]
	if in.entry == nil {
		if f.Required && in.sel != nil && in.sel.SelectedIndex() < 0 {
			return fieldNotice(f.Key, fmt.Sprintf(T("请选择“%s”"), T(f.Label)))
		}
		return nil
	}
	v := strings.TrimSpace(in.entry.Text)
	switch {
	case v == "" && f.Required && slices.Contains(c.typ.Needed(c.values()), f.Key):
		return fieldNotice(f.Key, fmt.Sprintf(T("必填：请填写“%s”"), T(f.Label)))
	case v == "" || v == maskedSecret:
		return nil
	case f.Kind == channel.FieldNumber:
		if _, err := strconv.Atoi(v); err != nil {
			return fieldNotice(f.Key, fmt.Sprintf(T("“%s”必须是整数"), T(f.Label)))
		}
	case strings.Contains(f.Example, "://"):
		scheme, _, _ := strings.Cut(f.Example, "://")
		if !strings.Contains(v, "://") {
			return fieldNotice(f.Key, fmt.Sprintf(T("“%s”是一个网址，应以 %s:// 开头，例如 %s"), T(f.Label), scheme, f.Example))
		}
		if strings.ContainsAny(v, " \t") {
			return fieldNotice(f.Key, fmt.Sprintf(T("“%s”中有空格：请检查是否复制完整"), T(f.Label)))
		}
	}
	return nil
}

// schemeTyped is what an address looks like while its scheme is typed.
var schemeTyped = regexp.MustCompile(`^[A-Za-z]*:?/?/?$`)

// maskedSecret is how a saved secret comes back from the app (config export).
const maskedSecret = "******"
