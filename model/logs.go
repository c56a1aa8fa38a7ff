package model

import "time"

// Inbound is one chat message that named a keyword, and what became of it.
type Inbound struct {
	ID         int64
	At         time.Time
	Channel    string
	Sender     string
	SenderName string
	Group      string
	Keyword    string
	Text       string
	Outcome    string
	Detail     string
	Rows       int64
	Via        string
	MsgID      int64 // 0 when the answer did not go through the outbox
	DurationUS int64
}

// InboundFilter selects inbound log rows for the GUI. Zero values match everything.
type InboundFilter struct {
	Channel  string
	Sender   string
	Outcome  string
	Contains string // substring of the keyword, text or sender name
	Since    time.Time
	Limit    int // default 200, at most 1000
}

// RequestLog is one API request, with secrets already redacted by the caller.
type RequestLog struct {
	ID         int64
	At         time.Time
	Remote     string
	Method     string
	Path       string
	APIUser    string
	Action     string
	Keyword    string
	Errcode    int
	Errmsg     string
	DurationUS int64
}
