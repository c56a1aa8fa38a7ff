package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"botgate/model"
)

// ErrSlotDone is CommitScheduleRun's answer when the schedule has recorded
// that slot, or a later one, already: nothing was written.
var ErrSlotDone = errors.New("schedule slot already recorded")

// testHookBeforeRunCommit, when set (by this package's tests), runs after
// a slot's rows are written and before its commit: the moment a kill -9
// or a power cut would have to hit to split a slot in two.
var testHookBeforeRunCommit func()

const scheduleCols = `name, cron, tz, template, args, channel, to_ids, grps, at, header, skip_empty, catch_up_s, enabled, since`

func scanSchedule(s interface{ Scan(...any) error }) (model.Schedule, error) {
	var sc model.Schedule
	var args, to, groups string
	var skip, enabled int
	var catchUp, since int64
	if err := s.Scan(&sc.Name, &sc.Cron, &sc.TZ, &sc.Template, &args, &sc.Channel, &to, &groups, &sc.At, &sc.Header, &skip, &catchUp, &enabled, &since); err != nil {
		return sc, err
	}
	sc.Args, sc.To, sc.Groups = decodeList(args), decodeList(to), decodeList(groups)
	sc.SkipEmpty, sc.Enabled = skip != 0, enabled != 0
	sc.CatchUp = time.Duration(catchUp) * time.Second
	sc.Since = time.UnixMilli(since)
	return sc, nil
}

// UpsertSchedule creates or replaces a schedule by name. Since is set to
// now for a new schedule, and again when the cron expression or the time
// zone changes or a disabled schedule is enabled: slots before such an edit
// are not owed (see the schedules table).
func (t *Tx) UpsertSchedule(s model.Schedule) error {
	// SQLite evaluates every SET expression against the row as it was, so
	// the CASE compares the stored values with the new ones.
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO schedules (`+scheduleCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, tz = excluded.tz, template = excluded.template, args = excluded.args,
		channel = excluded.channel, to_ids = excluded.to_ids, grps = excluded.grps, at = excluded.at, header = excluded.header,
		skip_empty = excluded.skip_empty, catch_up_s = excluded.catch_up_s, enabled = excluded.enabled,
		since = CASE WHEN schedules.cron <> excluded.cron OR schedules.tz <> excluded.tz OR (schedules.enabled = 0 AND excluded.enabled = 1)
			THEN excluded.since ELSE schedules.since END,
		updated_at = excluded.updated_at`,
		s.Name, s.Cron, s.TZ, s.Template, encodeList(s.Args), s.Channel, encodeList(s.To), encodeList(s.Groups), s.At, s.Header,
		boolInt(s.SkipEmpty), int64(s.CatchUp/time.Second), boolInt(s.Enabled), t.now.UnixMilli(), t.now.UnixMilli())
	return err
}

// DeleteSchedule removes a schedule by name, and its slot record with it.
func (t *Tx) DeleteSchedule(name string) error {
	return deleteByName(t, `DELETE FROM schedules WHERE name = ?`, name)
}

// Schedules lists every schedule, by name.
func (db *DB) Schedules(ctx context.Context) ([]model.Schedule, error) {
	return queryAll(ctx, db.r, `SELECT `+scheduleCols+` FROM schedules ORDER BY name`, scanSchedule)
}

// ScheduleRuns returns the last slot record of each schedule that has one, by schedule name.
func (db *DB) ScheduleRuns(ctx context.Context) (map[string]model.ScheduleRun, error) {
	runs, err := queryAll(ctx, db.r, `SELECT s.name, r.slot, r.outcome, r.error, r.msg_ids, r.at FROM schedule_runs r JOIN schedules s ON s.id = r.schedule_id`,
		func(s interface{ Scan(...any) error }) (model.ScheduleRun, error) {
			var r model.ScheduleRun
			var slot, at int64
			var ids string
			if err := s.Scan(&r.Schedule, &slot, &r.Outcome, &r.Error, &ids, &at); err != nil {
				return r, err
			}
			r.Slot, r.At = time.UnixMilli(slot), time.UnixMilli(at)
			if err := json.Unmarshal([]byte(ids), &r.MsgIDs); err != nil {
				return r, fmt.Errorf("schedule %q: msg_ids: %w", r.Schedule, err)
			}
			return r, nil
		})
	if err != nil {
		return nil, err
	}
	m := make(map[string]model.ScheduleRun, len(runs))
	for _, r := range runs {
		m[r.Schedule] = r
	}
	return m, nil
}

// CommitScheduleRun records run as its schedule's last slot and queues msgs
// (the slot's messages, or the note to the admin), all in one transaction,
// committed with synchronous=FULL as every send: either the slot is recorded
// and its messages are in the outbox, or neither. It writes nothing and
// returns ErrSlotDone when that slot or a later one is recorded already, so
// a slot is queued once even if two attempts race; ErrNotFound when the
// schedule was deleted. It returns the outbox ids, which run.MsgIDs gets too.
func (db *DB) CommitScheduleRun(ctx context.Context, run model.ScheduleRun, msgs []model.NewMessage) ([]int64, error) {
	extras := make([]rowExtras, len(msgs))
	var err error
	for i, m := range msgs {
		if extras[i], err = extrasOf(m); err != nil {
			return nil, err
		}
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM schedules WHERE name = ?`, run.Schedule).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var last int64
	switch err := tx.QueryRowContext(ctx, `SELECT slot FROM schedule_runs WHERE schedule_id = ?`, id).Scan(&last); {
	case err == nil && last >= run.Slot.UnixMilli():
		return nil, ErrSlotDone
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	out := make([]model.Enqueued, len(msgs))
	if err := db.insertMessages(ctx, tx, msgs, extras, db.now().UnixMilli(), out); err != nil {
		return nil, err
	}
	ids := make([]int64, len(out))
	for i, e := range out {
		ids[i] = e.ID
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_runs (schedule_id, slot, outcome, error, msg_ids, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (schedule_id) DO UPDATE SET slot = excluded.slot, outcome = excluded.outcome, error = excluded.error, msg_ids = excluded.msg_ids, at = excluded.at`,
		id, run.Slot.UnixMilli(), run.Outcome, run.Error, string(idsJSON), run.At.UnixMilli()); err != nil {
		return nil, err
	}
	if testHookBeforeRunCommit != nil {
		testHookBeforeRunCommit()
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	db.enqueued(out)
	return ids, nil
}
