// Package logchan is the "log" channel: messages are recorded in the log and
// marked delivered, never sent anywhere. For demos, tests and dry runs.
package logchan

import (
	"context"
	"log/slog"

	"botgate/app/channel"
)

// Type registers the connector.
var Type = channel.Type{Name: "log", Title: "仅记录（演示/测试，不真正发送）", New: New}

// Connector records messages through slog.
type Connector struct {
	name string
	log  *slog.Logger
}

// New builds the log channel; it has no config keys.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	return &Connector{name: cfg.Name, log: log}, nil
}

// Send records the message.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	content := []rune(m.Content)
	if len(content) > 200 {
		content = append(content[:200], '…')
	}
	c.log.Info("log channel: message recorded", "channel", c.name, "id", m.ID, "kind", m.Kind, "to", m.To, "content", string(content))
	return nil
}
