package apiserver

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"

	"botgate/app/channel"
	"botgate/model"
)

// handler is the one shape of a handler here: it writes its own success
// reply and returns its failure, which the adapter of its envelope writes
// and notes in the request log.
type handler func(w http.ResponseWriter, r *http.Request) error

// replyError is a failure answered other than its errcode alone says.
type replyError struct {
	err    error
	status int    // the HTTP status instead of the errcode's (0: StatusOf)
	log    string // the request log's text instead of the message ("": the message)
	extra  []any  // QQAP envelope fields after errmsg (msg_id, sent)
}

func (e *replyError) Error() string { return e.err.Error() }
func (e *replyError) Unwrap() error { return e.err }

// problem is how err is answered: the HTTP status (for the JSON envelopes),
// the errcode and message, and the request log's text.
func problem(err error) (status int, ae *model.Error, logText string, extra []any) {
	var we *channel.WebhookError
	if errors.As(err, &we) {
		ae = &model.Error{Code: we.Code, Msg: we.Msg}
		status = cmp.Or(we.Status, http.StatusBadRequest)
	} else {
		ae = model.ErrorOf(err)
		status = StatusOf(ae.Code)
	}
	logText = ae.Msg
	var re *replyError
	if errors.As(err, &re) {
		if re.status != 0 {
			status = re.status
		}
		if re.log != "" {
			logText = re.log
		}
		extra = re.extra
	}
	return status, ae, logText, extra
}

// fail notes err in the request log and, when it hides a detail, in the
// service log; it returns what to answer.
func fail(log *slog.Logger, r *http.Request, err error, what string) (status int, ae *model.Error, extra []any) {
	status, ae, logText, extra := problem(err)
	if ae.Code == model.CodeInternal || ae.Err != nil {
		log.Warn(what+" request failed", "path", r.URL.Path, "errcode", ae.Code, "err", err)
	}
	e := entryOf(r)
	e.code, e.msg = ae.Code, logText
	return status, ae, extra
}

// qqapReply adapts h to QQAP's envelope: always HTTP 200, the outcome in
// errcode, as the seed answered and ERPs expect.
func qqapReply(log *slog.Logger, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			_, ae, extra := fail(log, r, err, "qqap")
			writeEnvelope(w, http.StatusOK, ae.Code, ae.Msg, nil, extra...)
		}
	})
}

// apiReply adapts h to the native API's envelope: the errcode's HTTP status
// (httpStatus) and {"errcode","errmsg"}.
func apiReply(log *slog.Logger, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status, ae, _ := fail(log, r, err, "api")
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="BotGate", charset="UTF-8"`)
			}
			writeJSON(w, status, errorBody(ae.Code, ae.Msg))
		}
	})
}

// webhookReply adapts h to what platforms read: the HTTP status (a
// connector's *channel.WebhookError chooses it) and {"errcode","errmsg"} for
// whoever reads the platform's log.
func webhookReply(log *slog.Logger, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			status, ae, _ := fail(log, r, err, "webhook")
			writeJSON(w, status, errorBody(ae.Code, ae.Msg))
		}
	})
}
