package apiserver

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"botgate/app/channel"
	"botgate/model"
)

// TestProblem: every adapter answers a failure from one reading of it: the
// errcode's status from httpStatus unless the failure says otherwise.
func TestProblem(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       int
		msg, log   string
		wantExtra  []any
		wantDetail bool // the detail is kept for the service log
	}{
		{"an errcode gets its table status", model.Errorf(model.CodeNoChannel, "无此通道"), 422, model.CodeNoChannel, "无此通道", "无此通道", nil, false},
		{"wrapped, the same", fmt.Errorf("send: %w", model.Errorf(model.CodeThrottled, "太频繁")), 429, model.CodeThrottled, "太频繁", "太频繁", nil, false},
		{"anything else is internal, detail kept", errors.New("disk full"), 500, model.CodeInternal, "服务内部错误，请查看 BotGate 日志或联系管理员", "服务内部错误，请查看 BotGate 日志或联系管理员", nil, true},
		{"a connector chooses its status", &channel.WebhookError{Status: 401, Code: model.CodeUnauthorized, Msg: "缺少签名"}, 401, model.CodeUnauthorized, "缺少签名", "缺少签名", nil, false},
		{"a connector without a status: 400", &channel.WebhookError{Code: model.CodeBadRequest, Msg: "坏"}, 400, model.CodeBadRequest, "坏", "坏", nil, false},
		{"a reply error overrides status and log text",
			&replyError{err: model.Errorf(model.CodeBadRequest, "地址 /x 只接受 POST 请求"), status: http.StatusMethodNotAllowed, log: "请求方法不对"},
			405, model.CodeBadRequest, "地址 /x 只接受 POST 请求", "请求方法不对", nil, false},
		{"a reply error carries QQAP fields", &replyError{err: model.Errorf(model.CodeNoKeyword, "无此关键字"), extra: []any{"msg_id", int64(7), "sent", true}},
			404, model.CodeNoKeyword, "无此关键字", "无此关键字", []any{"msg_id", int64(7), "sent", true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ae, logText, extra := problem(tt.err)
			if status != tt.status || ae.Code != tt.code || ae.Msg != tt.msg || logText != tt.log || !reflect.DeepEqual(extra, tt.wantExtra) || (ae.Err != nil) != tt.wantDetail {
				t.Fatalf("got %d %d %q log %q extra %v detail %v", status, ae.Code, ae.Msg, logText, extra, ae.Err)
			}
		})
	}
}
