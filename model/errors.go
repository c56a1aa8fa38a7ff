package model

import (
	"errors"
	"fmt"
)

// Error codes, shared by the QQAP endpoint (errcode) and the native API (mapped
// to HTTP status in apiserver). README lists each with its message.
const (
	CodeOK           = 0
	CodeBadRequest   = 4000 // malformed request (JSON, types)
	CodeTooLarge     = 4001 // body over the limit
	CodeBadEncoding  = 4002 // not UTF-8
	CodeNothingToDo  = 4003 // neither content nor keyword
	CodeNoTarget     = 4004 // content without QQ or group
	CodeTooLong      = 4005 // message content too long
	CodeBadTarget    = 4006 // target the channel cannot address
	CodeUnsupported  = 4007 // mention, image or file the channel cannot carry
	CodeUnauthorized = 4010 // missing or wrong credentials
	CodeThrottled    = 4029 // too many failed logins
	CodeNoKeyword    = 4040 // keyword unknown or disabled
	CodeNoChannel    = 4041 // channel unknown, disabled or misconfigured
	CodeNoMessage    = 4044 // message id unknown
	CodeInternal     = 5000
	CodeForbidden    = 5010 // the seed's fixed code: template not allowed for this user
	CodeQueryFailed  = 5020
	CodeQueryTimeout = 5021
	CodeNoSource     = 5022 // data source missing or unreachable
	CodeQueueFailed  = 5030 // the outbox could not store the message
	CodeInvalid      = 6000 // configuration rejected (import, GUI save)
)

// MsgForbidden is the seed's exact text for errcode 5010.
const MsgForbidden = "对不起!你没有该信息的查询,更新,或新建权限,具体咨询管理人员"

// Error is an error a user may see: a code and a Chinese message saying what
// went wrong and what to do. Err holds internal detail for the log only.
type Error struct {
	Code  int
	Msg   string
	Field string // for configuration errors: which field (GUI shows the message next to it)
	Err   error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Invalid is a configuration error on one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// ErrorOf returns err as an *Error; anything else becomes an internal error
// whose detail stays in the log.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Msg: "服务内部错误，请查看 BotGate 日志或联系管理员", Err: err}
}
