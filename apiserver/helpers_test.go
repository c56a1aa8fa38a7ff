package apiserver_test

import (
	"io"
	"log/slog"
	"testing"

	"botgate/internal/apitest"
)

// env is a running BotGate on a temp database, listening on 127.0.0.1.
type (
	env      = apitest.Env
	envelope = apitest.Envelope
)

func start(t *testing.T) *env { return apitest.Start(t) }

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
