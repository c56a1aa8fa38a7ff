package wecomapp

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"botgate/app/channel"
)

// 测试连接 and 通讯录. agent/get (获取指定的应用详情) is harmless and proves
// the lot: corp_id and corp_secret (the token), agent_id (301002 when it is
// another app's), and the trusted IP (60020). Its allow_userinfos and
// allow_partys are the app's visible range: the people it can reach.

const (
	agentPath      = "/cgi-bin/agent/get"
	simpleListPath = "/cgi-bin/user/simplelist"
	chatCreatePath = "/cgi-bin/appchat/create"
)

type agentReply struct {
	status
	Name          string `json:"name"`
	AllowUserInfo struct {
		User []struct {
			UserID string `json:"userid"`
		} `json:"user"`
	} `json:"allow_userinfos"`
	AllowParties struct {
		PartyID []int64 `json:"partyid"`
	} `json:"allow_partys"`
}

type simpleListReply struct {
	status
	UserList []struct {
		UserID string `json:"userid"`
		Name   string `json:"name"`
	} `json:"userlist"`
}

func (c *Connector) agent(ctx context.Context) (agentReply, error) {
	var r agentReply
	err := c.call(ctx, agentPath, url.Values{"agentid": {strconv.FormatInt(c.agentID, 10)}}, channel.Request{Method: http.MethodGet}, &r)
	return r, err
}

// Test fetches a fresh token and reads the app's details.
func (c *Connector) Test(ctx context.Context) error {
	c.resetToken()
	_, err := c.agent(ctx)
	return err
}

// Contacts lists the members in the app's visible range: those named one by
// one, and those of its departments (with their sub-departments).
func (c *Connector) Contacts(ctx context.Context) ([]channel.Contact, error) {
	ag, err := c.agent(ctx)
	if err != nil {
		return nil, err
	}
	var out []channel.Contact
	seen := map[string]int{} // userid -> index in out
	add := func(id, name string) {
		if i, ok := seen[id]; ok {
			if name != "" {
				out[i].Name = name
			}
			return
		}
		if name == "" {
			name = id
		}
		seen[id] = len(out)
		out = append(out, channel.Contact{Kind: channel.Private, ID: id, Name: name})
	}
	for _, u := range ag.AllowUserInfo.User {
		add(u.UserID, "")
	}
	for _, party := range ag.AllowParties.PartyID {
		var r simpleListReply
		q := url.Values{"department_id": {strconv.FormatInt(party, 10)}, "fetch_child": {"1"}}
		if err := c.call(ctx, simpleListPath, q, channel.Request{Method: http.MethodGet}, &r); err != nil {
			return nil, err
		}
		for _, u := range r.UserList {
			add(u.UserID, u.Name)
		}
	}
	return out, nil
}

type chatCreate struct {
	Name     string   `json:"name,omitempty"`
	Owner    string   `json:"owner,omitempty"`
	UserList []string `json:"userlist"`
}

type chatCreateReply struct {
	status
	ChatID string `json:"chatid"`
}

// CreateChat creates a group chat of users (at least two; owner among
// them, or empty for WeCom to pick one) through appchat/create and returns
// its chatid: the only chats appchat/send reaches are the ones the app made.
func (c *Connector) CreateChat(ctx context.Context, name, owner string, users []string) (string, error) {
	var list []string
	for _, u := range users {
		if u = strings.TrimSpace(u); u != "" && !containsFold(list, u) {
			list = append(list, u)
		}
	}
	if len(list) < 2 {
		return "", channel.Permanentf(nil, "企业微信群聊至少要有 2 个成员，请再选择成员")
	}
	for _, u := range list {
		if !userID.MatchString(u) {
			return "", channel.Permanentf(nil, "userid %q 无效：请填写通讯录成员详情里的“账号”", u)
		}
	}
	var r chatCreateReply
	if err := c.call(ctx, chatCreatePath, nil, channel.Request{JSON: chatCreate{Name: strings.TrimSpace(name), Owner: strings.TrimSpace(owner), UserList: list}}, &r); err != nil {
		return "", err
	}
	if r.ChatID == "" {
		return "", channel.Transientf(nil, "企业微信创建群聊后没有返回 chatid，请稍后在企业微信中确认群聊是否已创建")
	}
	return r.ChatID, nil
}
