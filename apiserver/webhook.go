package apiserver

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"botgate/app/channel"
	"botgate/model"
)

// POST /webhook/{channel}: chat platforms push messages here and get the
// answer back in the HTTP reply. The channel's connector verifies and parses
// the push and shapes the reply; this file only routes and encodes. GET
// reaches a connector that verifies its callback address that way
// (channel.URLVerifier); for any other channel the path takes POST only.

// MaxWebhookBody bounds one push. A text message is a few KB; this leaves
// room for long array-form messages without letting a stray upload fill memory.
const MaxWebhookBody = 256 << 10

// Webhooks finds the connector that takes a channel's pushes; an unknown or
// disabled channel, or one whose type takes none, is a *model.Error.
type Webhooks interface {
	Webhook(name string) (channel.Webhook, error)
}

// newWebhook returns the handler of "POST /webhook/{channel}"; without
// webhooks or an answerer it says chat pushes are off.
func newWebhook(hooks Webhooks, chat channel.Answerer, log *slog.Logger) handler {
	if hooks == nil || chat == nil {
		return func(w http.ResponseWriter, r *http.Request) error {
			return &replyError{err: model.Errorf(model.CodeNoChannel, "此服务没有启用聊天消息上报"), status: http.StatusNotFound}
		}
	}
	h := &webhook{hooks: hooks, chat: chat, log: log}
	return h.serve
}

type webhook struct {
	hooks Webhooks
	chat  channel.Answerer
	log   *slog.Logger
}

func (h *webhook) serve(w http.ResponseWriter, r *http.Request) error {
	e := entryOf(r)
	e.action = "webhook"
	name := r.PathValue("channel")
	hook, err := h.hooks.Webhook(name)
	if r.Method != http.MethodPost { // GET, or the HEAD a GET route takes too
		if _, ok := hook.(channel.URLVerifier); err != nil || !ok {
			return postOnly(w, r, err)
		}
	}
	if err != nil {
		// The path names the channel: one that cannot take pushes is an unknown address.
		return &replyError{err: err, status: http.StatusNotFound}
	}
	body, err := readBody(r, MaxWebhookBody, "上报内容", "256 KB")
	if err != nil {
		return err
	}
	req := channel.WebhookRequest{Channel: name, Method: r.Method, Header: r.Header, Query: r.URL.Query(), Remote: remoteHost(r), Body: body}
	resp, err := hook.HandleWebhook(r.Context(), req, loggedAnswerer{h.chat, e})
	if err != nil {
		var we *channel.WebhookError
		if errors.As(err, &we) && (we.Status == http.StatusUnauthorized || we.Status == http.StatusForbidden) {
			h.log.Warn("webhook event rejected", "channel", name, "remote", req.Remote, "status", we.Status)
		}
		return err
	}
	writeWebhookResponse(w, resp)
	return nil
}

// postOnly refuses a GET to a channel that does not verify its address
// that way: as any route answers a wrong method, with why when the channel
// itself is the reason (lookup says it does not exist, or is disabled).
func postOnly(w http.ResponseWriter, r *http.Request, lookup error) error {
	msg := "地址 " + r.URL.Path + " 只接受 POST 请求（收到 " + r.Method + "）"
	if lookup != nil {
		msg = model.ErrorOf(lookup).Msg + "；" + msg
	}
	w.Header().Set("Allow", http.MethodPost)
	return &replyError{err: model.Errorf(model.CodeBadRequest, "%s", msg), status: http.StatusMethodNotAllowed, log: "请求方法不对"}
}

// loggedAnswerer notes each answer in the request log: the keyword, and that
// a repeated message was ignored.
type loggedAnswerer struct {
	chat channel.Answerer
	e    *entry
}

func (a loggedAnswerer) Answer(ctx context.Context, in channel.Incoming) channel.Answer {
	ans := a.chat.Answer(ctx, in)
	a.e.keyword = ans.Keyword
	if ans.Duplicate {
		a.e.msg = "重复的消息（编号 " + in.ID + "），已忽略"
	}
	return ans
}

// writeWebhookResponse sends a connector's answer: JSON, text as it is, or
// an empty 204 that every platform takes as "nothing to do".
func writeWebhookResponse(w http.ResponseWriter, resp channel.WebhookResponse) {
	if resp.Body == nil {
		w.WriteHeader(cmp.Or(resp.Status, http.StatusNoContent))
		return
	}
	status := cmp.Or(resp.Status, http.StatusOK)
	switch b := resp.Body.(type) {
	case []byte:
		writeText(w, status, b)
	case string:
		writeText(w, status, []byte(b))
	default:
		writeJSON(w, status, b)
	}
}
