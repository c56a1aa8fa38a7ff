package model

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MentionAll is the id that mentions everyone in the group; each connector
// maps it to its platform's form (WeCom "@all", DingTalk isAtAll, ...).
const MentionAll = "all"

// MaxMentions bounds the members one message may mention: platforms cap it
// themselves (and a long list is more likely a mistake than a need).
const MaxMentions = 50

// Mention is one member to mention ("@") in a group message: an id in the
// platform's terms (QQ number, wxid, userid or mobile) and, optionally, the
// name to show where the platform wants it written in the text.
type Mention struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// ParseMentions reads a request's `at` list: comma-separated entries "id" or
// "id:显示名" (an ASCII or full-width colon or comma). Entries are trimmed and
// repeated ids dropped; an empty list is nil.
func ParseMentions(s string) ([]Mention, error) {
	var ms []Mention
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' }) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, name, _ := strings.Cut(strings.ReplaceAll(part, "：", ":"), ":")
		ms = append(ms, Mention{ID: id, Name: name})
	}
	return NormalizeMentions(ms)
}

// NormalizeMentions trims ids and names, drops repeated ids (the first keeps
// its name), lower-cases "all", and refuses an empty id, control characters
// or more than MaxMentions entries. The native API passes its list here too,
// so both request forms obey the same rules.
func NormalizeMentions(in []Mention) ([]Mention, error) {
	var out []Mention
	seen := map[string]bool{}
	for _, m := range in {
		m.ID, m.Name = strings.TrimSpace(m.ID), strings.TrimSpace(m.Name)
		if strings.EqualFold(m.ID, MentionAll) {
			m.ID = MentionAll
		}
		switch {
		case m.ID == "":
			return nil, Errorf(CodeBadRequest, "at 中有空的成员：每一项应是成员 ID，或“ID:显示名”，多个用逗号分隔")
		case !printable(m.ID) || !printable(m.Name) || strings.ContainsAny(m.ID, " \t"):
			return nil, Errorf(CodeBadRequest, "at 中的成员 %q 含有空格或控制字符，请只填成员 ID", m.ID)
		case len(m.ID) > 128 || len(m.Name) > 128:
			return nil, Errorf(CodeBadRequest, "at 中的成员 ID 或显示名太长（最多 128 字节）")
		}
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		out = append(out, m)
	}
	if len(out) > MaxMentions {
		return nil, Errorf(CodeBadRequest, "at 最多 %d 个成员，当前 %d 个；要提醒所有人请用 all", MaxMentions, len(out))
	}
	return out, nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Attachment kinds.
const (
	AttachImage = "image"
	AttachFile  = "file"
)

// MaxAttachmentBytes bounds the decoded bytes of one message's attachments
// (and of each one BotGate fetches from a URL at delivery).
const MaxAttachmentBytes = 10 << 20

// MaxAttachments bounds how many attachments one message carries.
const MaxAttachments = 10

// Attachment is an image or file sent with (or instead of) a message's text:
// either URL (fetched at delivery, or passed on to a platform that takes
// URLs) or Data (the decoded bytes, stored with the message).
type Attachment struct {
	Kind string // AttachImage or AttachFile
	Name string // file name shown to recipients, no path
	URL  string // http(s); empty when Data is set
	Data []byte
}

// Size is the number of bytes the attachment carries now (0 for a URL not yet fetched).
func (a Attachment) Size() int { return len(a.Data) }

// String describes the attachment for logs and errors, never its bytes.
func (a Attachment) String() string {
	if a.URL != "" && a.Data == nil {
		return fmt.Sprintf("%s %s (%s)", a.Kind, a.Name, a.URL)
	}
	return fmt.Sprintf("%s %s (%d 字节)", a.Kind, a.Name, len(a.Data))
}

// AttachmentInfo is what the outbox row says of one attachment, for status
// views and logs: everything but the bytes, which stay in storage until
// delivery.
type AttachmentInfo struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	URL    string `json:"url,omitempty"`
	Size   int    `json:"size"`             // 0 for a URL attachment (fetched at delivery)
	SHA256 string `json:"sha256,omitempty"` // hex, of the stored bytes
}
