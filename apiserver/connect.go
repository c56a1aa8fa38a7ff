package apiserver

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"botgate/app/channel"
)

// GET <prefix>{channel} and GET <prefix>{channel}/{sub}: a platform connects
// to BotGate and keeps the connection (a reverse WebSocket). The prefixes
// come from the channel types (channel.Type.AcceptPath); the channel's
// connector checks the caller, upgrades and serves the connection. This file
// only routes and encodes a refusal (channel/inbound.go describes the seam).

// Connections finds the connector that takes a channel's connections under
// a prefix; an unknown or disabled channel, or one that takes none there,
// is a *model.Error.
type Connections interface {
	AcceptPaths() []string
	Acceptor(prefix, name string) (channel.Acceptor, error)
}

// mountConnections adds the routes of every prefix conns declares.
func mountConnections(mux *http.ServeMux, conns Connections, log *slog.Logger) {
	if conns == nil {
		return
	}
	for _, prefix := range conns.AcceptPaths() {
		if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
			panic("apiserver: accept path " + prefix + " must start and end with /")
		}
		h := webhookReply(log, (&connect{conns: conns, prefix: prefix, log: log}).serve)
		mux.Handle("GET "+prefix+"{channel}", h)
		mux.Handle("GET "+prefix+"{channel}/{sub...}", h)
	}
}

type connect struct {
	conns  Connections
	prefix string
	log    *slog.Logger
}

func (c *connect) serve(w http.ResponseWriter, r *http.Request) error {
	e := entryOf(r)
	e.action = "connect"
	name := r.PathValue("channel")
	acc, err := c.conns.Acceptor(c.prefix, name)
	if err != nil {
		return &replyError{err: err, status: http.StatusNotFound}
	}
	// w goes as it came: the connector hijacks it for the upgrade.
	err = acc.Accept(w, r, r.PathValue("sub"))
	var we *channel.WebhookError
	if errors.As(err, &we) && (we.Status == http.StatusUnauthorized || we.Status == http.StatusForbidden) {
		c.log.Warn("connection refused", "channel", name, "remote", remoteHost(r), "status", we.Status)
	}
	return err
}
