package apiserver

import (
	"botgate/model"
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"botgate/app"
	"botgate/app/channel"
)

// POST /webhook/{channel}: chat platforms push messages here and get the
// answer back in the HTTP reply. The channel's connector verifies and parses
// the push and shapes the reply; this file only routes and encodes.

// MaxWebhookBody bounds one push. A text message is a few KB; this leaves
// room for long array-form messages without letting a stray upload fill memory.
const MaxWebhookBody = 256 << 10

// Webhooks finds the connector that takes a channel's pushes; an unknown or
// disabled channel, or one whose type takes none, is a *model.Error.
type Webhooks interface {
	Webhook(name string) (channel.Webhook, error)
}

// chatBackend is what *app.App offers the webhook; New wires it when the
// backend has it.
type chatBackend interface {
	Webhooks
	NewChat(cfg app.ChatConfig) *app.Chat
}

var _ chatBackend = (*app.App)(nil)

func newWebhook(b Backend, log *slog.Logger) http.Handler {
	cb, ok := b.(chatBackend)
	if !ok {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, errorBody(model.CodeNoChannel, "此服务没有启用聊天消息上报"))
		})
	}
	return NewWebhook(cb, app.ChatAnswerer(cb.NewChat(app.DefaultChatConfig())), log)
}

// NewWebhook returns the handler for "POST /webhook/{channel}".
func NewWebhook(hooks Webhooks, chat channel.Answerer, log *slog.Logger) http.Handler {
	return &webhook{hooks: hooks, chat: chat, log: log}
}

type webhook struct {
	hooks Webhooks
	chat  channel.Answerer
	log   *slog.Logger
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := entryOf(r)
	e.action = "webhook"
	resp, err := h.handle(r, e)
	if err != nil {
		status, code, msg := http.StatusInternalServerError, model.CodeInternal, "服务内部错误，请查看 BotGate 日志"
		var we *channel.WebhookError
		if errors.As(err, &we) {
			status, code, msg = we.Status, we.Code, we.Msg
		} else {
			ae := model.ErrorOf(err)
			code, msg = ae.Code, ae.Msg
			status = StatusOf(code)
			if code == model.CodeNoChannel {
				status = http.StatusNotFound
			}
		}
		e.code, e.msg = code, msg
		writeJSON(w, status, errorBody(code, msg))
		return
	}
	writeWebhookResponse(w, resp)
}

func (h *webhook) handle(r *http.Request, e *entry) (channel.WebhookResponse, error) {
	name := r.PathValue("channel")
	hook, err := h.hooks.Webhook(name)
	if err != nil {
		return channel.WebhookResponse{}, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxWebhookBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return channel.WebhookResponse{}, model.Errorf(model.CodeTooLarge, "上报内容太大，最多 256 KB")
		}
		return channel.WebhookResponse{}, model.Errorf(model.CodeBadRequest, "读取上报内容失败")
	}
	req := channel.WebhookRequest{Channel: name, Method: r.Method, Header: r.Header, Query: r.URL.Query(), Remote: remoteHost(r), Body: body}
	resp, err := hook.HandleWebhook(r.Context(), req, loggedAnswerer{h.chat, e})
	var we *channel.WebhookError
	if errors.As(err, &we) && (we.Status == http.StatusUnauthorized || we.Status == http.StatusForbidden) {
		h.log.Warn("webhook event rejected", "channel", name, "remote", req.Remote, "status", we.Status)
	}
	return resp, err
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
