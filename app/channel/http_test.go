package channel_test

import (
	"context"
	"errors"
	"testing"

	"botgate/app/channel"
	ct "botgate/app/channel/channeltest"
)

func TestDo_ErrorStatus_KeepsBodyForTheConnector(t *testing.T) {
	body := `{"code":9499,"msg":"Bad Request","data":{}}`
	srv := ct.New(t, ct.Always(ct.Reply{Status: 400, Body: body}))
	err := channel.Do(context.Background(), srv.Deps().HTTP, channel.Request{URL: srv.URL, JSON: map[string]string{}, Platform: "飞书"}, &struct{}{})
	if got := channel.HTTPStatus(err); got != 400 {
		t.Fatalf("HTTPStatus = %d (%v), want 400", got, err)
	}
	if got := string(channel.ErrorBody(err)); got != body {
		t.Errorf("ErrorBody = %q, want %q", got, body)
	}
	if channel.ErrorBody(errors.New("other")) != nil {
		t.Error("ErrorBody of a non-HTTP error must be nil")
	}
}

func TestOutcome_Err_KeepsPermanenceMessageAndCause(t *testing.T) {
	cause := errors.New("errcode 93000: invalid webhook url")
	for _, o := range []channel.Outcome{{Permanent: true, Msg: "webhook 无效"}, {Msg: "限流，稍后重试"}} {
		err := o.Err(cause)
		ct.WantError(t, err, o.Permanent, o.Msg)
		if !errors.Is(err, cause) {
			t.Errorf("%v does not wrap its cause", err)
		}
	}
}
