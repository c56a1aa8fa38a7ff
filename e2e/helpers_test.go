package e2e_test

import (
	"testing"

	"botgate/internal/apitest"
)

// env is a running BotGate on a temp database, listening on 127.0.0.1.
type (
	env      = apitest.Env
	envelope = apitest.Envelope
)

func start(t *testing.T) *env { return apitest.Start(t) }

// seedQQ is the QQ number in the seed's examples.
const seedQQ = "350310976"
