package openqq

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"botgate/app/channel"
)

// The config key "api" says which Openqq the channel talks to.
const (
	apiAuto = "auto" // the default: found out at the first friend send, then remembered
	apiV2   = "v2"   // Mojo-Webqq 2.x (sjdy521/Mojo-Webqq, the current Openqq)
	apiV1   = "v1"   // the seed's Openqq, before the 2016-12 rewrite
)

func parseAPI(v string) (string, error) {
	switch api := strings.ToLower(strings.TrimSpace(v)); api {
	case "":
		return apiAuto, nil
	case apiAuto, apiV2, apiV1:
		return api, nil
	default:
		return "", &channel.Error{Permanent: true, Msg: "Openqq 通道的 api 只能是 auto（自动识别，推荐）、v2（Mojo-Webqq 2.x）或 v1（旧版 Openqq），不是 “" + v + "”"}
	}
}

// The paths and parameters of each version, from the plugin's source
// (lib/Mojo/Webqq/Plugin/Openqq.pm: 2.2.7 for v2, f52577b^ for v1):
//
//	            v1 (seed)                      v2 (2.x)
//	friend      send_message qq= / id=         send_friend_message uid= / id=
//	group       send_group_message gnumber= / gid=   send_group_message uid= / id=
//	discussion  send_discuss_message did=      send_discuss_message id=
//
// Each version ignores the other's parameters (its search skips undefined
// ones), so a group or discussion send that carries both reaches either
// version; only the friend path differs, and send_friend_message exists in
// 2.x only. That is where auto finds the version out.
const (
	pathFriendV1 = "/openqq/send_message"
	pathFriendV2 = "/openqq/send_friend_message"
	pathGroup    = "/openqq/send_group_message"
	pathDiscuss  = "/openqq/send_discuss_message"
)

// params returns the form for t under api (auto: both versions' names).
func params(t target, api string) url.Values {
	var names []string
	switch {
	case t.kind == friend && t.session:
		names = []string{"id"}
	case t.kind == friend && api == apiV1:
		names = []string{"qq"}
	case t.kind == friend:
		names = []string{"uid"}
	case t.kind == group && t.session:
		names = pick(api, "gid", "id")
	case t.kind == group:
		names = pick(api, "gnumber", "uid")
	default: // discussion
		names = pick(api, "did", "id")
	}
	f := url.Values{}
	for _, n := range names {
		f.Set(n, t.value)
	}
	return f
}

// pick is v1's name, v2's, or both for auto.
func pick(api, v1, v2 string) []string {
	switch api {
	case apiV1:
		return []string{v1}
	case apiV2:
		return []string{v2}
	}
	return []string{v1, v2}
}

// post sends one message to t. A group or discussion goes to the path both
// versions share; a friend to the version's own path, and under auto to
// the one the plugin answered on last (2.x first): a 404 there means the
// other version, which is tried at once and remembered, so an upgrade of
// Mojo-Webqq while BotGate runs is followed too.
func (c *Connector) post(ctx context.Context, t target, content string, r *reply) error {
	if t.kind != friend {
		path := pathGroup
		if t.kind == discuss {
			path = pathDiscuss
		}
		return c.send(ctx, path, t, c.api, content, r)
	}
	if c.api != apiAuto {
		return c.send(ctx, friendPath(c.api), t, c.api, content, r)
	}
	api := c.friendAPI()
	for try := 0; ; try++ {
		err := c.send(ctx, friendPath(api), t, api, content, r)
		if channel.HTTPStatus(err) != http.StatusNotFound {
			if err == nil {
				c.remember(api)
			}
			return err
		}
		if try == 1 {
			return channel.Permanentf(err, "Openqq 两个版本的好友消息接口（send_friend_message、send_message）都不存在（HTTP 404），请确认 url 是 Openqq 插件的监听地址（例如 http://127.0.0.1:5000）")
		}
		api = other(api)
	}
}

func (c *Connector) send(ctx context.Context, path string, t target, api, content string, r *reply) error {
	f := params(t, api)
	f.Set("content", content)
	if err := c.form(ctx, path, f, r); err != nil {
		return c.httpError(err)
	}
	return nil
}

func friendPath(api string) string {
	if api == apiV1 {
		return pathFriendV1
	}
	return pathFriendV2
}

func other(api string) string {
	if api == apiV1 {
		return apiV2
	}
	return apiV1
}

// friendAPI is the version auto tries first: the one remembered, else 2.x.
func (c *Connector) friendAPI() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.friend == "" {
		return apiV2
	}
	return c.friend
}

func (c *Connector) remember(api string) {
	c.mu.Lock()
	c.friend = api
	c.mu.Unlock()
}

// httpError words a 404: the url is not Openqq's, or (with a fixed api)
// the plugin is the other version.
func (c *Connector) httpError(err error) error {
	if channel.HTTPStatus(err) != http.StatusNotFound {
		return err
	}
	hint := ""
	switch {
	case c.api == apiV1:
		hint = "；若 Mojo-Webqq 是 2.x 版本，请把通道的 api 设为 auto 或 v2"
	case c.api == apiV2:
		hint = "；若是旧版 Openqq，请把通道的 api 设为 auto 或 v1"
	}
	return channel.Permanentf(err, "Openqq 没有该接口（HTTP 404），请确认 url 是 Openqq 插件的监听地址（例如 http://127.0.0.1:5000）%s", hint)
}
