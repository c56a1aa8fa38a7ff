package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RobotKind describes one platform's custom group robot (钉钉, 飞书, 企业微信):
// a webhook URL that carries the robot's token, an optional signing secret,
// and a reply with a result code. The robot belongs to one group.
type RobotKind struct {
	Platform string // in messages, e.g. "钉钉机器人"
	Example  string // a webhook address of the platform, shown when url is missing or malformed
	CodeKey  string // the reply's result code field, named when a reply lacks it
	Markdown bool   // the robot takes markdown too: the "format" key picks text or markdown
}

// Robot is one configured group robot; a connector embeds it.
type Robot struct {
	RobotKind
	URL    string // the webhook, without a trailing slash
	Secret string // the signing key; empty when the platform's signing is off
	Format string // "text" or "markdown"
	Client *http.Client
	Now    func() time.Time // the signature's clock
}

// New reads a robot's url, secret and format keys.
func (k RobotKind) New(cfg Config, deps Deps) (Robot, error) {
	u, err := BaseURL(cfg, "url", k.Platform, k.Example)
	if err != nil {
		return Robot{}, err
	}
	format := "text"
	if k.Markdown {
		if format, err = TextFormat(cfg, k.Platform); err != nil {
			return Robot{}, err
		}
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return Robot{RobotKind: k, URL: u, Secret: strings.TrimSpace(cfg.Values["secret"]), Format: format, Client: deps.HTTP, Now: now}, nil
}

// FixedTarget marks the robot as posting to its own group only.
func (Robot) FixedTarget() {}

// RobotResult is a robot's decoded reply.
type RobotResult interface {
	// Result returns the reply's code and message; ok is false when it has no code.
	Result() (code int, msg string, ok bool)
}

// Post sends req (its URL and Platform default to the robot's) and returns
// the result code of the reply, decoded into res. A robot explains a refused
// message in the body of an HTTP 4xx reply too, so that code is returned
// rather than the status; a reply without a code is a transient failure
// (often a url that is not a robot webhook).
func (r Robot) Post(ctx context.Context, req Request, res RobotResult) (code int, msg string, err error) {
	if req.URL == "" {
		req.URL = r.URL
	}
	if req.Platform == "" {
		req.Platform = r.Platform
	}
	if err := Do(ctx, r.Client, req, res); err != nil {
		if s := HTTPStatus(err); s < 400 || s >= 500 || json.Unmarshal(ErrorBody(err), res) != nil {
			return 0, "", err
		}
		code, msg, ok := res.Result()
		if !ok {
			return 0, "", err
		}
		return code, msg, nil
	}
	code, msg, ok := res.Result()
	if !ok {
		return 0, "", Transientf(nil, "%s的响应缺少 %s，请确认 url 是机器人的 webhook 地址", r.Platform, r.CodeKey)
	}
	return code, msg, nil
}

// ErrCodeReply is the {"errcode": …, "errmsg": …} reply of DingTalk's and
// WeCom's robots.
type ErrCodeReply struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Result is the reply's errcode and errmsg.
func (r *ErrCodeReply) Result() (int, string, bool) {
	if r.ErrCode == nil {
		return 0, "", false
	}
	return *r.ErrCode, r.ErrMsg, true
}

// RobotTestText is what a group robot's 测试连接 posts: a webhook has no
// read-only call, so only a visible message proves the URL (and signature).
const RobotTestText = "BotGate 连接测试：收到此消息说明机器人配置正确，可以忽略。"

// TextFormat reads a channel's "format" key: text (the default) or
// markdown; platform names it in the message ("钉钉机器人"). The group
// robots and the office apps all take it.
func TextFormat(cfg Config, platform string) (string, error) {
	format := strings.ToLower(strings.TrimSpace(cfg.Values["format"]))
	switch format {
	case "":
		return "text", nil
	case "text", "markdown":
		return format, nil
	}
	return "", &Error{Permanent: true, Msg: fmt.Sprintf("%s的 format 只能是 text 或 markdown，不是 %q", platform, format)}
}
