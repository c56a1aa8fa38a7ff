// Package schedule runs scheduled pushes (定时推送): at each slot of a
// schedule's cron expression, in its time zone, it runs the schedule's query
// template, renders the rows through the template's reply format and queues
// the message, exactly once per slot.
//
// Exactly once: a slot's outbox rows and the schedule's last-slot record
// commit in one transaction, and only while the stored slot is older
// (storage.CommitScheduleRun). A process killed before that commit left
// nothing, and sends the slot after the restart; one killed after it finds
// the slot recorded. Only the process that holds the server's database lock
// runs a Scheduler (app starts it as a server task), so two BotGates on one
// database never both do.
//
// Catch-up: a slot missed while BotGate was not running (or the computer
// slept) is sent once when it is found, if it is less than the schedule's
// catch_up late; else it is recorded as skipped and logged. Of several
// missed slots only the latest counts: the query would show today's data
// for each of them anyway.
//
// The package knows nothing of app: it declares what it consumes (Store,
// Backend) and app wires itself into them.
package schedule

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"botgate/model"
	"botgate/storage"
)

// Store is the part of the state database the scheduler needs (storage.DB).
type Store interface {
	Schedules(ctx context.Context) ([]model.Schedule, error)
	ScheduleRuns(ctx context.Context) (map[string]model.ScheduleRun, error)
	CommitScheduleRun(ctx context.Context, run model.ScheduleRun, msgs []model.NewMessage) ([]int64, error)
}

// Send is one message to check and turn into an outbox row.
type Send struct {
	Channel string // "" = the default channel
	Target
	Content string
	At      []model.Mention
}

// Backend is what the scheduler asks of the rest of BotGate (app).
type Backend interface {
	// RunTemplate runs the query template keyword with vars on behalf of a
	// schedule: the template must be an enabled query template, whoever
	// its users and roles are (see app's RunScheduled for why).
	RunTemplate(ctx context.Context, keyword string, vars model.Vars) (model.Template, *model.KeywordResult, error)
	// ReplyLimit is the longest message, in characters, channel takes.
	ReplyLimit(channel string) int
	// Prepare makes every check a send request gets (channel, recipient,
	// length, mentions) and returns the outbox row, not queued. apiUser
	// owns the row.
	Prepare(apiUser string, s Send) (model.NewMessage, error)
	// AdminRecipient is where a failed slot is reported (the
	// admin_recipient setting); ok is false when it is not set.
	AdminRecipient() (s Send, ok bool)
	// Queue queues msgs durably now (立即运行一次, which records no slot).
	Queue(ctx context.Context, msgs []model.NewMessage) ([]int64, error)
	// Wake tells the dispatcher that new messages are in the outbox.
	Wake()
}

// Config tunes a Scheduler; zero values get the defaults.
type Config struct {
	Now func() time.Time
	// After is the scheduler's timer (time.After); tests pass a fake clock's.
	After func(d time.Duration) <-chan time.Time
	// MaxWait is the longest sleep between two looks (default 1 min): the
	// monotonic timers stop while a computer sleeps, and the wall clock may
	// be set, so a slot is never waited for by one long timer.
	MaxWait time.Duration
	// RetryWait is the pause after the state database failed (default 30 s).
	RetryWait time.Duration
	Log       *slog.Logger
}

// Scheduler queues each schedule's due slots.
type Scheduler struct {
	store   Store
	backend Backend
	cfg     Config
	kick    chan struct{}
}

// New returns a Scheduler over store and backend; Run runs it.
func New(store Store, backend Backend, cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = time.Minute
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Scheduler{store: store, backend: backend, cfg: cfg, kick: make(chan struct{}, 1)}
}

// Kick makes a running scheduler look again now (the configuration changed).
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// APIUser owns the outbox rows of schedule name. A ':' is never in an API
// user's name, so no user can see them as theirs or reuse their keys.
func APIUser(name string) string { return "定时推送:" + name }

// Run handles due slots until ctx ends. A stop in the middle of a slot
// leaves that slot owed: it is sent after the restart if still within catch-up.
func (s *Scheduler) Run(ctx context.Context) {
	for {
		next := s.Once(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := s.cfg.MaxWait
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.cfg.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-s.cfg.After(wait):
		}
	}
}

// Once handles every slot due now and returns when the next one is due
// (zero: none is scheduled).
func (s *Scheduler) Once(ctx context.Context) time.Time {
	now := s.cfg.Now()
	list, err := s.store.Schedules(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Error("scheduled pushes: reading the schedules failed", "err", err)
		}
		return now.Add(s.cfg.RetryWait)
	}
	runs, err := s.store.ScheduleRuns(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Log.Error("scheduled pushes: reading their last runs failed", "err", err)
		}
		return now.Add(s.cfg.RetryWait)
	}
	var next time.Time
	for _, sc := range list {
		if !sc.Enabled {
			continue
		}
		spec, err := Parse(sc.Cron, sc.TZ)
		if err != nil {
			// Saved schedules were checked; this is a hand edit of the database.
			s.cfg.Log.Warn("scheduled push has an invalid time; it does not run", "schedule", sc.Name, "cron", sc.Cron, "tz", sc.TZ, "err", model.ErrorOf(err).Msg)
			continue
		}
		n := s.handle(ctx, sc, spec, runs[sc.Name])
		if ctx.Err() != nil {
			return time.Time{}
		}
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next
}

// handle queues sc's due slot, if any, and returns when sc is due next.
func (s *Scheduler) handle(ctx context.Context, sc model.Schedule, spec Spec, last model.ScheduleRun) time.Time {
	now := s.cfg.Now()
	base := sc.Since
	if last.Slot.After(base) {
		base = last.Slot
	}
	slot := spec.LatestDue(base, now)
	if slot.IsZero() {
		return spec.Next(maxTime(base, now))
	}
	run := model.ScheduleRun{Schedule: sc.Name, Slot: slot, At: now}
	catchUp := sc.CatchUp
	if catchUp <= 0 {
		catchUp = model.DefaultCatchUp
	}
	var msgs []model.NewMessage
	if late := now.Sub(slot); late >= catchUp {
		run.Outcome = model.RunSkipped
		run.Error = "错过了 " + FormatTime(slot) + " 的推送：当时 BotGate 没有运行（或电脑在睡眠），晚了 " + chineseDuration(late) +
			"，超过补发时限 " + chineseDuration(catchUp) + "，已跳过。需要时可在“定时推送”中点“立即运行一次”"
		s.cfg.Log.Warn("scheduled push missed and skipped: later than its catch-up", "schedule", sc.Name, "slot", slot, "late", late.Round(time.Second), "catch_up", catchUp)
	} else {
		if first := spec.Next(base); first.Before(slot) {
			s.cfg.Log.Info("scheduled push: earlier missed slots are not sent, only the latest", "schedule", sc.Name, "first_missed", first, "sent", slot)
		}
		msgs, run.Outcome, run.Error = s.compose(ctx, sc, slot)
		if ctx.Err() != nil {
			return time.Time{} // stopping: the slot stays owed
		}
		if run.Outcome == model.RunFailed {
			s.cfg.Log.Warn("scheduled push failed", "schedule", sc.Name, "slot", slot, "err", run.Error)
			msgs = s.adminNote(sc, slot, run.Error)
		}
	}
	ids, err := s.store.CommitScheduleRun(ctx, run, msgs)
	switch {
	case errors.Is(err, storage.ErrSlotDone), errors.Is(err, storage.ErrNotFound):
		// Recorded by an earlier attempt whose answer was lost, or deleted meanwhile: nothing to do.
	case err != nil:
		if ctx.Err() == nil {
			s.cfg.Log.Error("scheduled push: recording the slot failed; it will be tried again", "schedule", sc.Name, "slot", slot, "err", err)
		}
		return now.Add(s.cfg.RetryWait)
	default:
		if len(ids) > 0 {
			s.backend.Wake()
		}
		if run.Outcome == model.RunSent || run.Outcome == model.RunEmpty {
			s.cfg.Log.Info("scheduled push", "schedule", sc.Name, "slot", slot, "outcome", run.Outcome, "messages", len(ids))
		}
	}
	return spec.Next(maxTime(slot, now))
}

// compose runs sc's template and builds its messages for slot.
func (s *Scheduler) compose(ctx context.Context, sc model.Schedule, slot time.Time) ([]model.NewMessage, string, string) {
	vars := model.Vars{}
	vars.SetArgs(sc.Args)
	t, res, err := s.backend.RunTemplate(ctx, sc.Template, vars)
	if err != nil {
		return nil, model.RunFailed, model.ErrorOf(err).Msg
	}
	if len(res.Rows) == 0 && sc.SkipEmpty {
		return nil, model.RunEmpty, ""
	}
	at, err := model.ParseMentions(sc.At)
	if err != nil {
		return nil, model.RunFailed, "@成员(at)有误：" + model.ErrorOf(err).Msg
	}
	content := Compose(sc, t, res, vars, slot, s.backend.ReplyLimit(sc.Channel))
	var msgs []model.NewMessage
	for _, tg := range Targets(sc) {
		send := Send{Channel: sc.Channel, Target: tg, Content: content}
		if tg.Kind == "group" {
			send.At = at
		}
		m, err := s.backend.Prepare(APIUser(sc.Name), send)
		if err != nil {
			who := tg.To
			if who == "" {
				who = "通道的群"
			}
			return nil, model.RunFailed, "发送给 " + who + " 失败：" + model.ErrorOf(err).Msg
		}
		msgs = append(msgs, m)
	}
	return msgs, model.RunSent, ""
}

// adminNote is the message that tells the admin a slot failed, when the
// admin_recipient setting names where.
func (s *Scheduler) adminNote(sc model.Schedule, slot time.Time, reason string) []model.NewMessage {
	to, ok := s.backend.AdminRecipient()
	if !ok {
		return nil
	}
	to.Content = "定时推送“" + sc.Name + "”（" + FormatTime(slot) + "）失败：" + reason
	m, err := s.backend.Prepare(APIUser(sc.Name), to)
	if err != nil {
		s.cfg.Log.Warn("scheduled push: the failure could not be sent to admin_recipient", "schedule", sc.Name, "err", model.ErrorOf(err).Msg)
		return nil
	}
	return []model.NewMessage{m}
}

// RunNow runs sc once at once (立即运行一次) and queues its messages
// through the outbox, without touching its slot record: the next slot is
// sent as usual. The outcome is returned (Outcome empty or sent, MsgIDs), or
// the failure, which is not reported to admin_recipient: the admin is the one
// who clicked.
func (s *Scheduler) RunNow(ctx context.Context, sc model.Schedule) (model.ScheduleRun, error) {
	now := s.cfg.Now()
	run := model.ScheduleRun{Schedule: sc.Name, Slot: now, At: now}
	if loc, err := LoadZone(sc.TZ); err == nil {
		run.Slot = now.In(loc)
	}
	msgs, outcome, reason := s.compose(ctx, sc, run.Slot)
	if outcome == model.RunFailed {
		return run, &model.Error{Code: model.CodeInvalid, Msg: reason}
	}
	run.Outcome = outcome
	if len(msgs) == 0 {
		return run, nil
	}
	ids, err := s.backend.Queue(ctx, msgs)
	if err != nil {
		return run, err
	}
	run.MsgIDs = ids
	return run, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
