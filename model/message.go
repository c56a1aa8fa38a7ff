package model

import "time"

// Message statuses.
const (
	StatusQueued    = "queued"
	StatusSending   = "sending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// NewMessage is a send to be queued.
type NewMessage struct {
	Channel    string
	TargetKind string // "private" or "group"
	Target     string
	Content    string
	APIUser    string
	IdemKey    string // empty: no idempotency
	At         []Mention
	// Attachments are stored with the row, in the same commit.
	Attachments []Attachment
}

// Enqueued tells the caller which row holds its message.
type Enqueued struct {
	ID       int64
	Existing bool // the Idempotency-Key was seen before; ID is the earlier message
	// Row is the new row as committed (zero when Existing): the queue hands
	// it to the dispatcher, which then need not read it back.
	Row Message
}

// Message is one outbox row.
type Message struct {
	ID            int64
	Channel       string
	TargetKind    string
	Target        string
	Content       string
	Status        string
	Attempts      int
	LastError     string
	NextAttemptAt time.Time
	CreatedAt     time.Time
	DeliveredAt   time.Time // zero until delivered
	APIUser       string
	At            []Mention
	// Attachments describes the stored attachments; their bytes are loaded
	// only at delivery (storage.DB.Attachments).
	Attachments []AttachmentInfo
	// Invalid lists the recipients of a delivered list message that the
	// platform refused (unknown, or outside the app's visible range).
	Invalid []string
}

// MessageFilter selects rows for the log view.
type MessageFilter struct {
	Status string // empty: any
	Limit  int
}
