// Package logchan is the "log" channel: messages are recorded in the log and
// marked delivered, never sent anywhere. For demos, tests and dry runs.
package logchan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"botgate/app/channel"
	"botgate/app/channel/onebot"
)

// Type registers the connector. targets is "qq" (the default) or "any".
// It takes every extra, so a demo can show what a platform would get.
var Type = channel.Type{
	Name: "log",
	Fields: []channel.Field{
		{Key: "targets", Label: "接收者检查", Kind: channel.FieldChoice, Default: "qq",
			Choices: []channel.Choice{{Value: "qq", Label: "按 QQ 号 / 群号检查（默认，与 QQ 通道相同）"}, {Value: "any", Label: "接受任意接收者（试验其他平台的 ID 时用）"}},
			Help:    "仅记录通道不真正发送，只把消息记在日志里，用来演示和测试"},
	},
	Title:  "仅记录（演示/测试，不真正发送）",
	Keys:   []string{"targets"},
	Caps:   channel.Caps{Validates: true},
	Extras: channel.Extras{Mention: true, Image: true, File: true},
	New:    New,
}

// Connector records messages through slog.
type Connector struct {
	name    string
	anyText bool
	log     *slog.Logger
	client  *http.Client
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
)

// New builds the log channel.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	c := &Connector{name: cfg.Name, log: log, client: deps.HTTP}
	switch t := strings.ToLower(strings.TrimSpace(cfg.Values["targets"])); t {
	case "", "qq":
	case "any":
		c.anyText = true
	default:
		return nil, &channel.Error{Permanent: true, Msg: fmt.Sprintf("仅记录通道的 targets 只能是 qq（接收者须是 QQ 号或群号，默认）或 any（任意文本），不是 %q", t)}
	}
	return c, nil
}

// ValidateTarget checks targets as QQ and group numbers: the log channel
// stands in for a QQ bot in the demo, so a request that works on it must
// also work once the admin switches to a real onebot channel. With
// targets "any" (a dry run for another platform's ids) every text passes.
func (c *Connector) ValidateTarget(kind, to string) error {
	if c.anyText {
		return nil
	}
	return onebot.ValidateQQ(kind, to)
}

// Send records the message: its mentions, and each attachment's kind, name,
// size and sha256. A URL attachment is fetched as for a platform that needs
// the bytes, so a dry run also proves the ERP's links can be downloaded.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	// slog.Attr values and LogAttrs, not key-value pairs: boxing each pair
	// into an interface, and the content into runes, was 6 allocations a
	// message, and the demo's log channel delivers every benchmark send.
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs, slog.String("channel", c.name), slog.Int64("id", m.ID), slog.String("kind", m.Kind), slog.String("to", m.To), slog.String("content", preview(m.Content)))
	if len(m.At) > 0 {
		ids := make([]string, len(m.At))
		for i, mn := range m.At {
			ids[i] = mn.ID
			if mn.Name != "" {
				ids[i] += ":" + mn.Name
			}
		}
		attrs = append(attrs, slog.String("at", strings.Join(ids, ",")))
	}
	if len(m.Attachments) > 0 {
		desc := make([]string, len(m.Attachments))
		for i, a := range m.Attachments {
			data, err := channel.FetchAttachment(ctx, c.client, a)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			desc[i] = fmt.Sprintf("%s %s %d bytes sha256:%s", a.Kind, a.Name, len(data), hex.EncodeToString(sum[:]))
			if a.URL != "" {
				desc[i] += " from " + a.URL
			}
		}
		attrs = append(attrs, slog.String("attachments", strings.Join(desc, "; ")))
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "log channel: message recorded", attrs...)
	return nil
}

// previewRunes is how much of a message the log keeps.
const previewRunes = 200

// preview is s cut after previewRunes runes, with … when cut.
func preview(s string) string {
	n := 0
	for i := range s {
		if n == previewRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
