package model

import "time"

// DefaultTZ is the time zone of a schedule that names none.
const DefaultTZ = "Asia/Shanghai"

// DefaultCatchUp is how late a missed slot may still be sent.
const DefaultCatchUp = time.Hour

// Schedule is a scheduled push (定时推送): a query template run at the times
// of a cron expression, its rows sent to recipients on a channel.
type Schedule struct {
	Name     string
	Cron     string // 5 fields, or a descriptor such as @daily
	TZ       string // IANA zone; "" = DefaultTZ
	Template string // keyword of a query template
	Args     []string
	Channel  string   // "" = the default channel
	To       []string // private recipients (QQ numbers, user ids...)
	Groups   []string // groups
	At       string   // members to mention in group messages, as QQAP's `at`
	Header   string   // first line of the message
	// SkipEmpty: when the query returns no rows, send nothing.
	SkipEmpty bool
	CatchUp   time.Duration // a slot later than this is skipped
	Enabled   bool
	// Since is when the schedule was created, or its timing changed, or it
	// was enabled: no slot at or before it is owed.
	Since time.Time
}

// Outcomes of a schedule's slot.
const (
	RunSent    = "sent"    // the message(s) were queued
	RunEmpty   = "empty"   // the query returned no rows and the schedule sends nothing then
	RunFailed  = "failed"  // the template or the send check failed; Error says why
	RunSkipped = "skipped" // the slot was missed (BotGate not running) longer ago than catch-up
)

// ScheduleRun is the last slot a schedule handled.
type ScheduleRun struct {
	Schedule string
	Slot     time.Time // the cron time
	Outcome  string
	Error    string // Chinese, for failed and skipped
	MsgIDs   []int64
	At       time.Time // when it was handled
}
