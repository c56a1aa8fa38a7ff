package apiserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"botgate/internal/apitest"
	"botgate/model"
)

// BenchmarkQQAPSend is one acknowledged send as an ERP makes it (the QQAP
// GET of the demo), through the handler the server runs, without the
// network. The timed part ends when the dispatcher has delivered every
// message through the demo's log channel, so ns/op and allocs/op include
// the delivery and its outcome, and the request log's writes but the last
// half second's (it writes every 500 ms): the CPU a send costs BotGate,
// whichever goroutine spends it. Sends here are one at a time, as at one
// connection.
func BenchmarkQQAPSend(b *testing.B) {
	e := apitest.Start(b)
	target := "/?" + e.Auth().Encode() + "&QQ=350310976&content=API%E5%8F%91%E9%80%81%E6%B6%88%E6%81%AF%E6%B5%8B%E8%AF%95"
	var last int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		e.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		var env apitest.Envelope
		if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil || env.Errcode != 0 || env.MsgID == 0 {
			b.Fatalf("send failed: HTTP %d %s", w.Code, w.Body)
		}
		last = env.MsgID
	}
	e.WaitStatus(last, model.StatusDelivered) // and so every earlier one: one recipient, delivered in order
	b.StopTimer()
}
