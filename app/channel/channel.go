// Package channel defines what a chat connector is: something that delivers a
// text message to a private or group target on one platform. Each platform's
// connector lives in its own sub-package; package registry lists them.
package channel

import (
	"botgate/model"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Target kinds.
const (
	Private = "private" // QQAP's "QQ": a person
	Group   = "group"   // QQAP's "group": a group chat
)

// Message is one text to deliver, with the members it mentions and its
// attachments. Content may be empty when there are attachments. An
// attachment with a URL and no Data is for the connector to pass on (where
// the platform takes links) or to fetch with FetchAttachment.
type Message struct {
	ID          int64  // outbox id, useful for logs and platform-side de-duplication
	Kind        string // Private or Group
	To          string // the platform's id for the person or group
	Content     string
	At          []model.Mention
	Attachments []model.Attachment
}

// Channel delivers messages. Send must honour ctx (the dispatcher cancels it on
// shutdown and on its own per-attempt timeout) and classify failures: an error
// wrapped by Permanent is never retried; any other error is retried with backoff.
type Channel interface {
	Send(ctx context.Context, m Message) error
}

// TargetValidator is implemented by channels that can reject a malformed target
// (say, a QQ number with letters) before the message is queued.
type TargetValidator interface {
	ValidateTarget(kind, to string) error
}

// ContentChecker is implemented by channels whose platform refuses a text over
// a size limit. Send calls CheckContent itself, and app calls it before
// queueing, so an over-long text is refused in the reply instead of being
// accepted and failing later; one method keeps the limit in one place. The
// error is permanent and its message names the platform and the limit.
type ContentChecker interface {
	CheckContent(text string) error
}

// FixedTarget is implemented by channels that always deliver to one place
// (a group robot posts to the group it belongs to): a send needs no QQ or
// group, and any given target is ignored.
type FixedTarget interface {
	FixedTarget()
}

// Tester is implemented by channels that can check their URL and credentials
// with a harmless call ("测试连接" in the GUI).
type Tester interface {
	Test(ctx context.Context) error
}

// Contact is one entry of a platform's directory (friend, group, chat group, user).
type Contact struct {
	Kind string `json:"kind"` // Private or Group
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Directory is implemented by channels whose platform can list friends and groups.
type Directory interface {
	Contacts(ctx context.Context) ([]Contact, error)
}

// ChatCreator is implemented by channels whose platform sends to the group
// chats the app itself created (WeCom's appchat): the window creates one
// from chosen members and shows the id to give the ERP as group.
type ChatCreator interface {
	CreateChat(ctx context.Context, name, owner string, users []string) (chatID string, err error)
}

// Config is what a connector is built from: the channel's name and its config keys.
type Config struct {
	Name   string
	Type   string
	Values map[string]string
}

// Deps are the shared things a connector may use.
type Deps struct {
	HTTP *http.Client
	Now  func() time.Time
	Log  *slog.Logger // nil: slog.Default()
}

// Factory builds a connector from its configuration; it returns a *Error with a
// Chinese message when a required key is missing or malformed.
type Factory func(cfg Config, deps Deps) (Channel, error)

// Type describes one connector type for the registry, README and GUI forms.
type Type struct {
	Name          string   // config "type", e.g. "onebot"
	Title         string   // shown to admins, e.g. "QQ (OneBot v11)"
	Keys          []string // config keys, in form order
	SecretKeys    []string // keys masked in export and logs
	Required      []string // keys that must not be empty
	RatePerMinute int      // platform default when the channel's rate_per_minute is 0; 0 = unlimited
	// ReplyRunes is the longest chat answer, in characters, the platform takes
	// in one message; 0 = DefaultReplyRunes.
	ReplyRunes int
	Caps       Caps
	// Fields describe the config keys for the window's form (fields.go);
	// a type without them gets plain text boxes named by Keys.
	Fields []Field
	// Extras is what the type carries beyond text (mentions, images, files).
	Extras Extras
	// AcceptPath is the path prefix, from "/" to a final "/", under which the
	// platform connects to BotGate (Acceptor, inbound.go); "" for none.
	AcceptPath string
	New        Factory
}

// Caps are what a type's connectors can do besides Send. They are declared on
// the Type so that the window and the server ask the type rather than build a
// connector to probe it; a registry test builds every type's connector and
// checks each declaration against the interfaces it implements. A type whose
// configuration picks how it talks to the platform (OneBot's transport)
// declares what its configurations can do together; each configuration's
// connector implements a part of it.
type Caps struct {
	Test        bool // Tester: 测试连接
	Directory   bool // Directory: 通讯录
	Validates   bool // TargetValidator: a malformed target is refused before it is queued
	Webhook     bool // Webhook: the platform pushes chat messages to /webhook/{channel}
	Listener    bool // Listener: BotGate keeps a connection open to the platform
	FixedTarget bool // FixedTarget: posts to its own group, a send names no target
}

// DefaultReplyRunes bounds a chat answer on a platform that states no limit.
const DefaultReplyRunes = 1500

// ReplyLimit is t's longest chat answer in characters.
func (t Type) ReplyLimit() int {
	if t.ReplyRunes > 0 {
		return t.ReplyRunes
	}
	return DefaultReplyRunes
}

// Error is a delivery failure with a message an office admin can act on.
type Error struct {
	Permanent bool
	Msg       string // Chinese, shown in the log tab and the status API
	Err       error  // detail for the log file
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// PartlyDelivered is what Send returns when the platform took a message
// to a recipient list for some of them and refused the others (WeCom's
// invaliduser): the message counts as delivered, and the refused ids are
// kept with it (GET /api/v1/messages/{id} lists them under "invalid"). It
// is an error only so that Send keeps one signature for every connector; a
// list refused whole is an ordinary permanent failure.
type PartlyDelivered struct {
	Invalid []string // the ids the platform refused
	Msg     string   // Chinese, for the log: who was refused and what to check
}

func (e *PartlyDelivered) Error() string {
	return fmt.Sprintf("%s（未送达：%s）", e.Msg, strings.Join(e.Invalid, "、"))
}

// Delivered tells whether err, Send's result, means the message was
// delivered, and lists the recipients the platform refused (PartlyDelivered).
func Delivered(err error) (invalid []string, ok bool) {
	if err == nil {
		return nil, true
	}
	var p *PartlyDelivered
	if errors.As(err, &p) {
		return p.Invalid, true
	}
	return nil, false
}

// Permanentf returns a failure that must not be retried (bad token, unknown recipient...).
func Permanentf(err error, format string, args ...any) error {
	return &Error{Permanent: true, Msg: fmt.Sprintf(format, args...), Err: err}
}

// Transientf returns a failure worth retrying (timeout, 5xx, rate limited...).
func Transientf(err error, format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Err: err}
}

// Outcome is how a connector treats one documented platform failure: whether a
// retry can help, and the Chinese message that tells the admin what to fix.
// Each connector keeps its platform's codes in a small table of these, so the
// classification can be read (and tested) row by row against the platform's
// documentation.
type Outcome struct {
	Permanent bool
	Msg       string
}

// Err returns the failure o describes, with detail (the platform's own code
// and text) kept for the log file.
func (o Outcome) Err(detail error) error {
	return &Error{Permanent: o.Permanent, Msg: o.Msg, Err: detail}
}

// IsPermanent tells whether err must not be retried.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// Explain is the admin-facing part of a connector error: the Chinese message
// without the detail meant for the log file.
func Explain(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// Describe is the text stored as last_error: the Chinese message, and the detail.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
