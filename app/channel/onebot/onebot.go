// Package onebot sends QQ messages through any OneBot v11 implementation's HTTP
// API (NapCat, LLBot; go-cqhttp is unmaintained): send_private_msg and
// send_group_msg, authenticated with "Authorization: Bearer <access_token>".
package onebot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"botgate/app/channel"
)

// Type registers the connector.
var Type = channel.Type{
	Name:          "onebot",
	Title:         "QQ (OneBot v11: NapCat / LLBot)",
	Keys:          []string{"url", "access_token", "secret"},
	SecretKeys:    []string{"access_token", "secret"},
	Required:      []string{"url"},
	RatePerMinute: 60,
	New:           New,
}

// Connector is one OneBot HTTP endpoint.
type Connector struct {
	base   string
	token  string
	client *http.Client
}

var (
	_ channel.Channel         = (*Connector)(nil)
	_ channel.TargetValidator = (*Connector)(nil)
)

// New builds the connector from the channel's config keys.
func New(cfg channel.Config, deps channel.Deps) (channel.Channel, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.Values["url"]), "/")
	if base == "" {
		return nil, &channel.Error{Permanent: true, Msg: "OneBot 通道缺少 url（例如 http://127.0.0.1:3000）"}
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, &channel.Error{Permanent: true, Msg: "OneBot 通道的 url 必须以 http:// 或 https:// 开头"}
	}
	return &Connector{base: base, token: cfg.Values["access_token"], client: deps.HTTP}, nil
}

// reply is OneBot v11's response envelope.
type reply struct {
	Status  string          `json:"status"`
	Retcode int             `json:"retcode"`
	Data    json.RawMessage `json:"data"`
	Msg     string          `json:"msg"`
	Wording string          `json:"wording"`
}

// ValidateTarget rejects non-numeric QQ and group numbers before they are queued.
func (c *Connector) ValidateTarget(kind, to string) error {
	if _, err := strconv.ParseUint(to, 10, 64); err != nil {
		if kind == channel.Group {
			return fmt.Errorf("群号 %q 必须是数字", to)
		}
		return fmt.Errorf("QQ 号 %q 必须是数字", to)
	}
	return nil
}

// Send calls send_private_msg or send_group_msg. auto_escape makes CQ-code
// characters ([CQ:...]) arrive literally: an ERP's text must not turn into an
// image or an @all.
func (c *Connector) Send(ctx context.Context, m channel.Message) error {
	id, err := strconv.ParseInt(m.To, 10, 64)
	if err != nil {
		return channel.Permanentf(err, "接收者 %q 不是有效的 QQ 号或群号", m.To)
	}
	action, body := "send_private_msg", map[string]any{"user_id": id, "message": m.Content, "auto_escape": true}
	if m.Kind == channel.Group {
		action, body = "send_group_msg", map[string]any{"group_id": id, "message": m.Content, "auto_escape": true}
	}
	_, err = c.call(ctx, action, body)
	return err
}

func (c *Connector) call(ctx context.Context, action string, body any) (json.RawMessage, error) {
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	var r reply
	if err := channel.Do(ctx, c.client, channel.Request{URL: c.base + "/" + action, Header: h, JSON: body, Platform: "OneBot"}, &r); err != nil {
		return nil, err
	}
	switch {
	case r.Retcode == 0 || r.Retcode == 1: // 1 = accepted asynchronously
		return r.Data, nil
	case r.Retcode == 100 || r.Retcode == 102 || r.Retcode == 104:
		// Bad parameters, invalid data or bad credentials: retrying will not help.
		return nil, channel.Permanentf(fmt.Errorf("retcode %d: %s %s", r.Retcode, r.Msg, r.Wording), "OneBot 拒绝发送（retcode %d%s），请检查接收者和通道设置", r.Retcode, detail(r))
	default:
		return nil, channel.Transientf(fmt.Errorf("retcode %d: %s %s", r.Retcode, r.Msg, r.Wording), "OneBot 发送失败（retcode %d%s），稍后重试", r.Retcode, detail(r))
	}
}

func detail(r reply) string {
	s := strings.TrimSpace(r.Wording)
	if s == "" {
		s = strings.TrimSpace(r.Msg)
	}
	if s == "" {
		return ""
	}
	return "：" + s
}
