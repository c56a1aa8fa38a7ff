package apiserver

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"botgate/app"
	"botgate/model"
)

// ScheduleLister lists the scheduled pushes with their last and next run,
// for callers allowed to see them (admins: app decides).
type ScheduleLister interface {
	SchedulesFor(ctx context.Context, c model.Caller) ([]app.ScheduleView, error)
}

// scheduleView is one schedule in GET /api/v1/schedules: the config file's
// fields, its zone spelled out, and its runs in that zone.
type scheduleView struct {
	Name      string       `json:"name"`
	Cron      string       `json:"cron"`
	TZ        string       `json:"tz"`
	Template  string       `json:"template"`
	Args      []string     `json:"args"`
	Channel   string       `json:"channel"`
	To        string       `json:"to"`
	Group     string       `json:"group"`
	At        string       `json:"at"`
	Header    string       `json:"header"`
	SkipEmpty bool         `json:"skip_empty"`
	CatchUp   string       `json:"catch_up"`
	Enabled   bool         `json:"enabled"`
	NextRun   *string      `json:"next_run"` // null: disabled, or its time does not parse
	LastRun   *lastRunView `json:"last_run"` // null: no slot handled yet
	Problem   string       `json:"problem,omitempty"`
}

// lastRunView is the last slot a schedule handled.
type lastRunView struct {
	Slot    string  `json:"slot"`    // the cron time
	Outcome string  `json:"outcome"` // sent, empty, failed, skipped
	Error   string  `json:"error"`
	MsgIDs  []int64 `json:"msg_ids"` // outbox ids: GET /api/v1/messages/{id}
	At      string  `json:"at"`      // when it was handled
}

func scheduleViewOf(v app.ScheduleView) scheduleView {
	zone := cmp.Or(v.TZ, model.DefaultTZ)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.Local // a hand-edited zone; Problem says so
	}
	out := scheduleView{Name: v.Name, Cron: v.Cron, TZ: zone, Template: v.Template, Args: v.Args, Channel: v.Channel,
		To: v.To, Group: v.Group, At: v.At, Header: v.Header, SkipEmpty: v.SkipEmpty, CatchUp: v.CatchUp,
		Enabled: v.Enabled == nil || *v.Enabled, Problem: v.Problem}
	if out.Args == nil {
		out.Args = []string{}
	}
	if !v.Next.IsZero() {
		n := v.Next.In(loc).Format(time.RFC3339)
		out.NextRun = &n
	}
	if l := v.Last; l != nil {
		ids := l.MsgIDs
		if ids == nil {
			ids = []int64{}
		}
		out.LastRun = &lastRunView{Slot: l.Slot.In(loc).Format(time.RFC3339), Outcome: l.Outcome, Error: l.Error, MsgIDs: ids,
			At: l.At.In(loc).Format(time.RFC3339)}
	}
	return out
}

// schedules serves GET /api/v1/schedules (read-only).
type schedules struct {
	n    *native
	list ScheduleLister
}

func (s *schedules) get(w http.ResponseWriter, r *http.Request) error {
	c, err := s.n.caller(r)
	if err != nil {
		return err
	}
	entryOf(r).action = "schedules"
	vs, err := s.list.SchedulesFor(r.Context(), c)
	if err != nil {
		return err
	}
	out := make([]scheduleView, len(vs))
	for i, v := range vs {
		out[i] = scheduleViewOf(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedules": out})
	return nil
}
