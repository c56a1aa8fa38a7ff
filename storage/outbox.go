package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"botgate/model"
)

// Enqueue commits a batch of messages in one transaction. Batching is what
// lets many concurrent sends share one fsync (group commit). ctx should not
// be one that is cancelled mid-write (the queue passes Background): a lone
// message commits as the statement finishes, so a cancellation at that
// moment could report an error for a row that was saved.
//
// The commit also carries the relaxed writes waiting for one (carry.go): if
// it fails, they go back to wait for the next.
func (db *DB) Enqueue(ctx context.Context, msgs []model.NewMessage) ([]model.Enqueued, error) {
	db.sendCommit(len(msgs))
	jobs := db.carry.take(max(carryRows, len(msgs)))
	out, err := db.enqueueWith(ctx, msgs, jobs)
	if err != nil {
		db.carry.putBack(jobs)
	}
	return out, err
}

// enqueueWith is Enqueue, with jobs (if any) run in its transaction and
// told their outcome once it commits.
func (db *DB) enqueueWith(ctx context.Context, msgs []model.NewMessage, jobs []*carryJob) ([]model.Enqueued, error) {
	now := db.now().UnixMilli()
	out := make([]model.Enqueued, len(msgs))
	if plainBatch(msgs) {
		if len(msgs) > 1 || len(jobs) > 0 {
			return db.enqueuePlain(ctx, msgs, now, out, jobs)
		}
		// One message without an idempotency key or attachments, the usual
		// case for a lone caller: a single INSERT is its own transaction
		// (and as durable), and skips the BEGIN and COMMIT statements a
		// batch needs. A message with attachments always takes the
		// transaction below, so its row and its attachments commit together.
		m := msgs[0]
		mentions, err := mentionsJSON(m.At)
		if err != nil {
			return nil, err
		}
		err = db.enqueue.QueryRowContext(ctx, m.Channel, m.TargetKind, m.Target, m.Content, now, now, m.APIUser, nil, mentions, "").Scan(&out[0].ID)
		if err != nil {
			return nil, err
		}
		out[0].Row = queuedRow(m, out[0].ID, now, nil)
		db.enqueued(out)
		return out, nil
	}
	// Encode and hash before the transaction: the write lock is held from BEGIN.
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
	if err := db.insertMessages(ctx, tx, msgs, extras, now, out); err != nil {
		return nil, err
	}
	errs := runJobs(ctx, tx, jobs)
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	finishJobs(jobs, errs)
	db.enqueued(out)
	return out, nil
}

// plainBatch tells whether no message of msgs has an idempotency key or
// attachments: the batch group commit makes under load.
func plainBatch(msgs []model.NewMessage) bool {
	for _, m := range msgs {
		if m.IdemKey != "" || len(m.Attachments) > 0 {
			return false
		}
	}
	return true
}

// rowsPerInsert is how many rows one multi-row INSERT of enqueuePlain
// carries (10 parameters a row).
const rowsPerInsert = 64

// enqueuePlain commits a batch of plain messages with one INSERT per
// rowsPerInsert rows instead of one per message: at 32 connections the
// per-row statements were half of the commit's CPU. The ids are the
// INSERT's last one and those before it: the rows of one statement get
// consecutive rowids (each is one more than the largest, and the write
// lock is held), and no row is skipped, as none has an idempotency key.
func (db *DB) enqueuePlain(ctx context.Context, msgs []model.NewMessage, now int64, out []model.Enqueued, jobs []*carryJob) ([]model.Enqueued, error) {
	// Prepared before BEGIN: the writer pool's one connection is the
	// transaction's until it ends.
	stmts, err := chunkStmts(ctx, len(msgs), db.multiInsert)
	if err != nil {
		return nil, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	err = execChunks(ctx, tx, stmts, len(msgs), 10, func(args []any, i int) ([]any, error) {
		m := msgs[i]
		mentions, err := mentionsJSON(m.At)
		return append(args, m.Channel, m.TargetKind, m.Target, m.Content, now, now, m.APIUser, nil, mentions, ""), err
	}, func(off, n int, res sql.Result) error {
		last, err := res.LastInsertId()
		for i := range n {
			id := last - int64(n-1-i)
			out[off+i] = model.Enqueued{ID: id, Row: queuedRow(msgs[off+i], id, now, nil)}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	errs := runJobs(ctx, tx, jobs)
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	finishJobs(jobs, errs)
	db.enqueued(out)
	return out, nil
}

// multiInsert is the INSERT of n plain rows, prepared on the writer the
// first time a batch of n comes and kept (at most rowsPerInsert of them).
func (db *DB) multiInsert(ctx context.Context, n int) (*sql.Stmt, error) {
	return db.multiRow(ctx, `INSERT INTO outbox (channel, target_kind, target, content, status, next_attempt_at, created_at, api_user, idem_key, mentions, attachments) VALUES `,
		`(?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)`, "", n)
}

// multiRow is the statement head followed by n copies of row and tail, prepared on
// the writer once and kept by its text (a few dozen statements in all:
// chunks are rowsPerInsert rows and one shorter remainder). It must be
// called outside a transaction, which holds the writer's one connection.
func (db *DB) multiRow(ctx context.Context, head, row, tail string, n int) (*sql.Stmt, error) {
	q := head + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + tail
	db.multiMu.Lock()
	defer db.multiMu.Unlock()
	if st := db.multi[q]; st != nil {
		return st, nil
	}
	st, err := db.w.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if db.multi == nil {
		db.multi = map[string]*sql.Stmt{}
	}
	db.multi[q] = st
	return st, nil
}

// chunkStmts prepares, before a transaction, the statements for n rows cut
// into chunks of rowsPerInsert, by chunk length.
func chunkStmts(ctx context.Context, n int, prepare func(context.Context, int) (*sql.Stmt, error)) (map[int]*sql.Stmt, error) {
	stmts := map[int]*sql.Stmt{}
	for off := 0; off < n; off += rowsPerInsert {
		k := min(rowsPerInsert, n-off)
		if stmts[k] == nil {
			st, err := prepare(ctx, k)
			if err != nil {
				return nil, err
			}
			stmts[k] = st
		}
	}
	return stmts, nil
}

// execChunks runs the statements of chunkStmts in tx over n rows of cols
// parameters, a chunk at a time: row appends row i's parameters, done is
// told each chunk's first row, length and result.
func execChunks(ctx context.Context, tx *sql.Tx, stmts map[int]*sql.Stmt, n, cols int, row func(args []any, i int) ([]any, error), done func(off, k int, res sql.Result) error) error {
	args := make([]any, 0, cols*min(n, rowsPerInsert))
	for off := 0; off < n; off += rowsPerInsert {
		k := min(rowsPerInsert, n-off)
		args = args[:0]
		for i := off; i < off+k; i++ {
			var err error
			if args, err = row(args, i); err != nil {
				return err
			}
		}
		res, err := tx.StmtContext(ctx, stmts[k]).ExecContext(ctx, args...)
		if err != nil {
			return err
		}
		if err := done(off, k, res); err != nil {
			return err
		}
	}
	return nil
}

// insertMessages writes msgs, with their attachments, in tx and fills out
// with their ids; extras are extrasOf each message, made before the
// transaction began. A scheduled push's slot (CommitScheduleRun) shares it.
func (db *DB) insertMessages(ctx context.Context, tx *sql.Tx, msgs []model.NewMessage, extras []rowExtras, now int64, out []model.Enqueued) error {
	ins := tx.StmtContext(ctx, db.enqueue)
	defer ins.Close()
	var insAtt *sql.Stmt
	for i, m := range msgs {
		var idem any
		if m.IdemKey != "" {
			idem = m.IdemKey
		}
		x := extras[i]
		err := ins.QueryRowContext(ctx, m.Channel, m.TargetKind, m.Target, m.Content, now, now, m.APIUser, idem, x.mentions, x.summary).Scan(&out[i].ID)
		if errors.Is(err, sql.ErrNoRows) && m.IdemKey != "" {
			// A repeat of an earlier send: that message has its attachments already.
			out[i].Existing = true
			err = tx.QueryRowContext(ctx, `SELECT id FROM outbox WHERE api_user = ? AND idem_key = ?`, m.APIUser, m.IdemKey).Scan(&out[i].ID)
			if err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		out[i].Row = queuedRow(m, out[i].ID, now, x.infos)
		if len(m.Attachments) == 0 {
			continue
		}
		if insAtt == nil {
			if insAtt, err = tx.PrepareContext(ctx, insertAttachmentSQL); err != nil {
				return err
			}
			defer insAtt.Close()
		}
		for seq, a := range m.Attachments {
			var data any // NULL for a URL attachment, fetched at delivery
			if a.Data != nil {
				data = a.Data
			}
			if _, err := insAtt.ExecContext(ctx, out[i].ID, seq, a.Kind, a.Name, a.URL, data, x.infos[seq].Size, x.infos[seq].SHA256); err != nil {
				return err
			}
		}
	}
	return nil
}

const enqueueSQL = `INSERT INTO outbox (channel, target_kind, target, content, status, next_attempt_at, created_at, api_user, idem_key, mentions, attachments)
	VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`

const insertAttachmentSQL = `INSERT INTO outbox_attachment (message_id, seq, kind, name, url, data, size, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

const messageCols = `id, channel, target_kind, target, content, status, attempts, last_error, next_attempt_at, created_at, delivered_at, api_user, mentions, attachments, invalid`

func scanMessage(s interface{ Scan(...any) error }) (model.Message, error) {
	var m model.Message
	var next, created int64
	var delivered sql.NullInt64
	var mentions, summary string
	var invalid sql.NullString
	if err := s.Scan(&m.ID, &m.Channel, &m.TargetKind, &m.Target, &m.Content, &m.Status, &m.Attempts, &m.LastError, &next, &created, &delivered, &m.APIUser, &mentions, &summary, &invalid); err != nil {
		return m, err
	}
	if invalid.Valid {
		if err := json.Unmarshal([]byte(invalid.String), &m.Invalid); err != nil {
			return m, fmt.Errorf("outbox %d: invalid: %w", m.ID, err)
		}
	}
	m.NextAttemptAt, m.CreatedAt = time.UnixMilli(next), time.UnixMilli(created)
	if delivered.Valid {
		m.DeliveredAt = time.UnixMilli(delivered.Int64)
	}
	if mentions != "" {
		if err := json.Unmarshal([]byte(mentions), &m.At); err != nil {
			return m, fmt.Errorf("outbox %d: mentions: %w", m.ID, err)
		}
	}
	if summary != "" {
		if err := json.Unmarshal([]byte(summary), &m.Attachments); err != nil {
			return m, fmt.Errorf("outbox %d: attachments: %w", m.ID, err)
		}
	}
	return m, nil
}

// queuedRow is the row Enqueue commits for m, as scanMessage would read
// it back (the mentions and attachment summary are what their JSON holds).
func queuedRow(m model.NewMessage, id, now int64, infos []model.AttachmentInfo) model.Message {
	r := model.Message{ID: id, Channel: m.Channel, TargetKind: m.TargetKind, Target: m.Target, Content: m.Content,
		Status: model.StatusQueued, NextAttemptAt: time.UnixMilli(now), CreatedAt: time.UnixMilli(now), APIUser: m.APIUser}
	if len(m.At) > 0 {
		r.At = slices.Clone(m.At)
	}
	if len(infos) > 0 {
		r.Attachments = infos
	}
	return r
}

// mentionsJSON is the mentions column: ” for none, so a plain message stores nothing extra.
func mentionsJSON(ms []model.Mention) (string, error) {
	if len(ms) == 0 {
		return "", nil
	}
	b, err := json.Marshal(ms)
	return string(b), err
}

// rowExtras is a message's mentions and attachment summary as stored.
type rowExtras struct {
	mentions, summary string
	infos             []model.AttachmentInfo
}

func extrasOf(m model.NewMessage) (rowExtras, error) {
	var x rowExtras
	var err error
	if x.mentions, err = mentionsJSON(m.At); err != nil {
		return x, err
	}
	x.infos = attachmentInfos(m.Attachments)
	x.summary, err = summaryJSON(x.infos)
	return x, err
}

// attachmentInfos describes as for the row's summary and the blob rows.
func attachmentInfos(as []model.Attachment) []model.AttachmentInfo {
	infos := make([]model.AttachmentInfo, len(as))
	for i, a := range as {
		infos[i] = model.AttachmentInfo{Kind: a.Kind, Name: a.Name, URL: a.URL, Size: len(a.Data)}
		if a.Data != nil {
			sum := sha256.Sum256(a.Data)
			infos[i].SHA256 = hex.EncodeToString(sum[:])
		}
	}
	return infos
}

func summaryJSON(infos []model.AttachmentInfo) (string, error) {
	if len(infos) == 0 {
		return "", nil
	}
	b, err := json.Marshal(infos)
	return string(b), err
}

// Attachments loads the attachments of message id, bytes included, in the
// order they were sent; the dispatcher calls it right before a delivery, so
// pending-list scans never carry the bytes.
func (db *DB) Attachments(ctx context.Context, id int64) ([]model.Attachment, error) {
	return queryAll(ctx, db.r, `SELECT kind, name, url, data FROM outbox_attachment WHERE message_id = ? ORDER BY seq`,
		func(s interface{ Scan(...any) error }) (model.Attachment, error) {
			var a model.Attachment
			err := s.Scan(&a.Kind, &a.Name, &a.URL, &a.Data)
			return a, err
		}, id)
}

// Message returns one outbox row.
func (db *DB) Message(ctx context.Context, id int64) (model.Message, error) {
	m, err := scanMessage(db.message.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	return m, err
}

const messageSQL = `SELECT ` + messageCols + ` FROM outbox WHERE id = ?`

// PendingMessages returns up to limit undelivered messages, oldest first.
// "sending" is never stored (the dispatcher keeps it in memory); it stays in
// the condition so the query matches the outbox_pending partial index.
func (db *DB) PendingMessages(ctx context.Context, afterID int64, limit int) ([]model.Message, error) {
	rows, err := db.pending.QueryContext(ctx, afterID, limit)
	return scanAll(rows, err, scanMessage)
}

// pendingSQL's limit is (? + 0), not ?: SQLite reads a bare bound LIMIT as
// a constant when it plans the query and marks the statement to be compiled
// again whenever that parameter is bound, which for this statement was every
// call (46 µs against 7 µs a query; a third of the dispatcher's CPU).
const pendingSQL = `SELECT ` + messageCols + ` FROM outbox WHERE status IN ('queued', 'sending') AND id > ? ORDER BY id LIMIT (? + 0)`

// PendingFor returns up to limit undelivered messages of one recipient with
// afterID < id <= throughID, oldest first: the dispatcher reads a long
// backlog of one recipient this way, a part at a time, instead of holding it
// all in memory. It walks the outbox_pending index, so it reads the rows of
// the other recipients queued in that range too; that is rare (once per
// part of a backlog) and needs no index of its own on every send.
func (db *DB) PendingFor(ctx context.Context, channel, targetKind, target string, afterID, throughID int64, limit int) ([]model.Message, error) {
	return queryAll(ctx, db.r, pendingForSQL, scanMessage, afterID, throughID, channel, targetKind, target, limit)
}

const pendingForSQL = `SELECT ` + messageCols + ` FROM outbox WHERE status IN ('queued', 'sending') AND id > ? AND id <= ?
	AND channel = ? AND target_kind = ? AND target = ? ORDER BY id LIMIT (? + 0)`

// Messages lists outbox rows, newest first.
func (db *DB) Messages(ctx context.Context, f model.MessageFilter) ([]model.Message, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	q, args := messagesQuery(f)
	return queryAll(ctx, db.r, q, scanMessage, args...)
}

// messagesQuery is Messages' statement and its arguments (f.Limit already
// bounded). SQLite uses a partial index only when it can prove the query's
// WHERE implies the index's condition, and it does not prove status IN
// ('queued', 'sending') from status = 'queued'; so the rare statuses repeat
// their index's condition (failed literally, so the plan does not hang on
// the value bound). Without it the newest 200 failed or queued rows were
// found by walking all of a large outbox from the top, every second the log
// tab was open. Delivered rows are most of the table and come first from
// the top anyway.
func messagesQuery(f model.MessageFilter) (string, []any) {
	q := `SELECT ` + messageCols + ` FROM outbox`
	var args []any
	switch f.Status {
	case "":
	case model.StatusQueued, model.StatusSending:
		q += ` WHERE status IN ('queued', 'sending') AND status = ?` // outbox_pending
	case model.StatusFailed:
		q += ` WHERE status = 'failed' AND status = ?` // outbox_failed
	default:
		q += ` WHERE status = ?`
	}
	if f.Status != "" {
		args = append(args, f.Status)
	}
	return q + ` ORDER BY id DESC LIMIT ?`, append(args, f.Limit)
}

// Outcome is the result of one delivery attempt.
type Outcome struct {
	ID            int64
	Status        string // delivered, queued (retry later) or failed
	LastError     string
	NextAttemptAt time.Time // queued and failed; a delivery leaves the row's as it was
	Invalid       []string  // delivered: the recipients the platform refused
}

// outcomeSQL records one attempt that is not a plain delivery (those are
// deliveredUpdate's): a retry, a failure, or a delivery to part of a list,
// which stores who was refused and why (last_error) instead. A delivery
// leaves next_attempt_at as it was.
const outcomeSQL = `UPDATE outbox SET status = ?1, attempts = attempts + 1, last_error = ?2,
	next_attempt_at = CASE WHEN ?1 = 'delivered' THEN next_attempt_at ELSE ?3 END,
	delivered_at = CASE WHEN ?1 = 'delivered' THEN ?4 ELSE delivered_at END,
	invalid = CASE WHEN ?1 = 'delivered' THEN ?6 ELSE invalid END WHERE id = ?5`

// RecordOutcomes stores a batch of attempt results and counts the attempts.
// It commits with relaxed durability: after a power loss the worst case is
// that a delivered message is sent once more (at-least-once), never that a
// queued one is lost, and it saves an fsync per delivery. While sends come
// one or a few at a time, the results go in small jobs that the next sends' commits
// carry (carry.go), as a transaction of their own would hold the one writer
// that every acknowledged send needs; a failure may then leave some of them
// recorded and others not. It returns once all are committed.
//
// Plain deliveries (every recipient took it), nearly all of a batch, are
// marked by one UPDATE per job rather than one per message.
func (db *DB) RecordOutcomes(ctx context.Context, outs []Outcome) error {
	if len(outs) == 0 {
		return nil
	}
	var plain []int64
	var rest []Outcome
	for _, o := range outs {
		if o.Status == model.StatusDelivered && len(o.Invalid) == 0 {
			plain = append(plain, o.ID)
		} else {
			rest = append(rest, o)
		}
	}
	now := db.now().UnixMilli()
	wait := db.carrying()
	jobs, err := chunkJobs(ctx, jobRows(wait), len(plain), 1, db.deliveredUpdate, func(args []any, i int) ([]any, error) {
		if len(args) == 0 {
			args = append(args, now) // ?1, delivered_at, ahead of each job's ids
		}
		return append(args, plain[i]), nil
	})
	if err != nil {
		return err
	}
	size := jobRows(wait)
	for off := 0; off < len(rest); off += size {
		part := rest[off:min(off+size, len(rest))]
		args := make([][]any, len(part))
		for i, o := range part {
			var invalid any // NULL: nobody was refused
			if len(o.Invalid) > 0 {
				b, err := json.Marshal(o.Invalid)
				if err != nil {
					return err
				}
				invalid = string(b)
			}
			args[i] = []any{o.Status, o.LastError, o.NextAttemptAt.UnixMilli(), now, o.ID, invalid}
		}
		jobs = append(jobs, &carryJob{rows: len(part), run: func(ctx context.Context, tx *sql.Tx) error {
			st := tx.StmtContext(ctx, db.outcome)
			defer st.Close()
			for _, a := range args {
				if _, err := st.ExecContext(ctx, a...); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	return db.later(ctx, wait, jobs)
}

// chunkJobs cuts n rows of cols parameters into jobs of size rows, each
// one statement that prepare gives for its row count; row appends row i's
// parameters. The statements are prepared and the parameters gathered here,
// outside any transaction, so that a send carrying a job spends only the
// statement's run on it.
func chunkJobs(ctx context.Context, size, n, cols int, prepare func(context.Context, int) (*sql.Stmt, error), row func(args []any, i int) ([]any, error)) ([]*carryJob, error) {
	var jobs []*carryJob
	for off := 0; off < n; off += size {
		k := min(size, n-off)
		st, err := prepare(ctx, k)
		if err != nil {
			return nil, err
		}
		args := make([]any, 0, cols*k+1)
		for i := off; i < off+k; i++ {
			if args, err = row(args, i); err != nil {
				return nil, err
			}
		}
		jobs = append(jobs, &carryJob{rows: k, run: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...)
			return err
		}})
	}
	return jobs, nil
}

// deliveredUpdate marks n messages delivered to every recipient: the
// attempt counted, last_error kept (with the attempt count it tells the
// admin the delivery needed retries, and why), next_attempt_at left as it
// was. ?1 is delivered_at, the ids follow.
func (db *DB) deliveredUpdate(ctx context.Context, n int) (*sql.Stmt, error) {
	return db.multiRow(ctx, `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?1, invalid = NULL WHERE id IN (`, `?`, `)`, n)
}

// RetryMessage puts a failed message back in the queue with a fresh retry window.
func (db *DB) RetryMessage(ctx context.Context, id int64) error {
	now := db.now().UnixMilli()
	return db.execOne(ctx, `UPDATE outbox SET status = 'queued', next_attempt_at = ?, created_at = ? WHERE id = ? AND status = 'failed'`, now, now, id)
}

// DueNow makes channel's queued messages due at once: the platform it could
// not reach is back (a WebSocket connected again), so they need not wait out
// their retry backoff. It returns how many it moved; it only moves an attempt
// forward, never the retry window's start (created_at).
func (db *DB) DueNow(ctx context.Context, channel string) (int64, error) {
	now := db.now().UnixMilli()
	res, err := db.w.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ?1
		WHERE status IN ('queued', 'sending') AND channel = ?2 AND next_attempt_at > ?1`, now, channel)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CancelMessage marks a queued or failed message as failed with a note, so it is never sent.
func (db *DB) CancelMessage(ctx context.Context, id int64, note string) error {
	return db.execOne(ctx, `UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND status IN ('queued', 'failed')`, note, id)
}

func (db *DB) execOne(ctx context.Context, q string, args ...any) error {
	res, err := db.w.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// HourlyCounts counts the outbox rows created in each of the n hours from
// start on (start + k hours to start + k+1 hours is counts[k]; rows after
// the last hour are in the last). It is one pass over the outbox_created
// index alone, never the table: the window's 24 bars were 24 counts of
// everything since each boundary, a table row read for every message of
// the day, 12 times over on average.
func (db *DB) HourlyCounts(ctx context.Context, start time.Time, n int) ([]int, error) {
	counts := make([]int, n)
	from := start.UnixMilli()
	rows, err := db.r.QueryContext(ctx, `SELECT (created_at - ?1) / 3600000, COUNT(*) FROM outbox WHERE created_at >= ?1 GROUP BY 1`, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k int64
		var c int
		if err := rows.Scan(&k, &c); err != nil {
			return nil, err
		}
		counts[min(k, int64(n-1))] += c
	}
	return counts, rows.Err()
}

// StatusCounts counts outbox rows created since the given time, by status
// (every status is in the map, zero or not). The window asks every few
// seconds for today's. Grouping the rows by status read every one of them
// from the table (outbox_created has no status): 5.8 s a poll on 5 M
// messages of one day. Now all of today's are counted on outbox_created
// alone, and the table is read only for the unfinished and the failed rows
// that their partial indexes hold (all of them, of any day: those indexes
// are on id, and failed rows are few); the delivered are what is left, as
// queued, sending, delivered and failed are the only statuses the code
// writes. One statement, so the counts are of one snapshot.
func (db *DB) StatusCounts(ctx context.Context, since time.Time) (map[string]int, error) {
	var total, queued, sending, failed int
	if err := db.r.QueryRowContext(ctx, statusCountsSQL, since.UnixMilli()).Scan(&total, &queued, &sending, &failed); err != nil {
		return nil, err
	}
	return map[string]int{
		model.StatusQueued:    queued,
		model.StatusSending:   sending,
		model.StatusFailed:    failed,
		model.StatusDelivered: total - queued - sending - failed,
	}, nil
}

// statusCountsSQL is StatusCounts' statement; ?1 is the time in ms. The
// status conditions repeat the partial indexes' (as messagesQuery's do), so
// that SQLite takes them.
const statusCountsSQL = `SELECT
	(SELECT COUNT(*) FROM outbox INDEXED BY outbox_created WHERE created_at >= ?1),
	(SELECT COUNT(*) FROM outbox INDEXED BY outbox_pending WHERE status IN ('queued', 'sending') AND status = 'queued' AND created_at >= ?1),
	(SELECT COUNT(*) FROM outbox INDEXED BY outbox_pending WHERE status IN ('queued', 'sending') AND status = 'sending' AND created_at >= ?1),
	(SELECT COUNT(*) FROM outbox INDEXED BY outbox_failed WHERE status = 'failed' AND created_at >= ?1)`

// --- request log ---

// InsertRequestLogs appends a batch of request log rows. The request log is
// diagnostics: it need not survive a power loss, so it does not pay an
// fsync; while sends come one or a few at a time, its rows ride with the next sends'
// commits (carry.go). Several rows a statement: at 15k requests/s one
// statement a row was 6% of the CPU.
func (db *DB) InsertRequestLogs(ctx context.Context, logs []model.RequestLog) error {
	wait := db.carrying()
	jobs, err := chunkJobs(ctx, jobRows(wait), len(logs), 10, func(ctx context.Context, n int) (*sql.Stmt, error) {
		return db.multiRow(ctx, `INSERT INTO request_log (at, remote, method, path, api_user, action, keyword, errcode, errmsg, duration_us) VALUES `, `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, "", n)
	}, func(args []any, i int) ([]any, error) {
		l := logs[i]
		return append(args, l.At.UnixMilli(), l.Remote, l.Method, l.Path, l.APIUser, l.Action, l.Keyword, l.Errcode, l.Errmsg, l.DurationUS), nil
	})
	if err != nil {
		return err
	}
	return db.later(ctx, wait, jobs)
}

// RequestLogs lists the newest request log rows; keyword filters by a substring of path, user or keyword.
func (db *DB) RequestLogs(ctx context.Context, contains string, limit int) ([]model.RequestLog, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q := `SELECT id, at, remote, method, path, api_user, action, keyword, errcode, errmsg, duration_us FROM request_log`
	var args []any
	if contains != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(contains) + "%"
		q += ` WHERE path LIKE ? ESCAPE '\' OR api_user LIKE ? ESCAPE '\' OR keyword LIKE ? ESCAPE '\'`
		args = append(args, like, like, like)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	return queryAll(ctx, db.r, q, func(s interface{ Scan(...any) error }) (model.RequestLog, error) {
		var l model.RequestLog
		var at int64
		err := s.Scan(&l.ID, &at, &l.Remote, &l.Method, &l.Path, &l.APIUser, &l.Action, &l.Keyword, &l.Errcode, &l.Errmsg, &l.DurationUS)
		l.At = time.UnixMilli(at)
		return l, err
	}, args...)
}

// PruneFinished deletes delivered and failed messages queued before before;
// queued ones stay whatever their age (they are still owed a delivery).
//
// The newest message stays too, whatever its age: a new row takes the
// highest id plus one (the table has no AUTOINCREMENT), so deleting the
// newest rows would give their ids out again. An ERP would then read
// another message under a msg_id it kept, and the dispatcher, which reads
// only ids above the last it has seen, would leave the new message unsent
// until a restart.
func (db *DB) PruneFinished(ctx context.Context, before time.Time) (int64, error) {
	return db.pruneBatched(ctx, pruneOutbox, before.UnixMilli())
}

// PruneRequestLog deletes request log rows older than before and returns how many.
func (db *DB) PruneRequestLog(ctx context.Context, before time.Time) (int64, error) {
	return db.pruneBatched(ctx, pruneRequests, before.UnixMilli())
}

// pruneBatch bounds one DELETE: the writer connection is shared with every
// acknowledged send, and the first pruning of a busy database can have
// millions of rows to drop; in batches, sends slip in between. A batch of
// 2000 held the writer 6-9 ms, and a send at one connection then waited for
// one batch after another (110-180 sends/s during the prune, against 1200+
// after it); 250 rows take under a millisecond.
const pruneBatch = 250

// pruneSpec is one retention DELETE: the rows of table matching where,
// found through index, the index on the time column where compares. Named
// with INDEXED BY because SQLite's planner, with no statistics, took the
// outbox's "id < (SELECT max(id) ...)" for the narrower range and walked the
// whole table by rowid: on 5 M rows, every hourly pass then held the writer
// for about 2 s, even with nothing to delete, and every send waited.
type pruneSpec struct{ table, index, where string }

// The retention's DELETEs; table, index and where are constants of this
// package, never user input.
var (
	pruneOutbox   = pruneSpec{"outbox", "outbox_created", `status IN ('delivered', 'failed') AND created_at < ? AND id < (SELECT max(id) FROM outbox)`}
	pruneRequests = pruneSpec{"request_log", "request_log_at", `at < ?`}
	pruneInbound  = pruneSpec{"inbound_log", "inbound_log_at", `at < ?`}
	prunes        = []pruneSpec{pruneOutbox, pruneRequests, pruneInbound}
)

// find is the SELECT of one batch's rows, at most limit. The limit is
// written into the SQL, not bound: with a bound LIMIT, SQLite (STAT4 is
// compiled in) re-prepared the statement on every run, 25 us for the
// outbox's, more than the rows it deleted at a time.
func (p pruneSpec) find(limit int) string {
	return `SELECT rowid FROM ` + p.table + ` INDEXED BY ` + p.index + ` WHERE ` + p.where + ` LIMIT ` + strconv.Itoa(limit)
}

// delete is the DELETE of one batch.
func (p pruneSpec) delete(limit int) string {
	return `DELETE FROM ` + p.table + ` WHERE rowid IN (` + p.find(limit) + `)`
}

// pruneBatched deletes the rows p matches, a batch at a time, each its own
// short transaction (relaxed sync: a lost delete is redone next hour).
//
// While sends come one or a few at a time (carrying), a batch is a small
// job that the next send's commit carries (carry.go): a 250-row batch of
// its own held the writer about a millisecond, and at one connection half
// the sends waited for one (0.63-0.66x the sends/s after the prune, p99
// twice as high). Carried, each send pays for deleting a few rows instead.
func (db *DB) pruneBatched(ctx context.Context, p pruneSpec, args ...any) (int64, error) {
	// Prepared once, a statement for each size: a send carrying a job pays
	// for running it, not for compiling it.
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	var total int64
	for {
		wait := db.carrying()
		size := pruneBatch
		if wait {
			size = carryRows
		}
		st := stmts[size]
		if st == nil {
			var err error
			if st, err = db.w.PrepareContext(ctx, p.delete(size)); err != nil {
				return total, err
			}
			stmts[size] = st
		}
		var n int64
		start := time.Now()
		err := db.later(ctx, wait, []*carryJob{{rows: size, run: func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		}}})
		total += n
		if err != nil || n < int64(size) {
			return total, err
		}
		if wait {
			continue // the send that carried it went first
		}
		// Leave the writer free for as long as the batch held it: the sends
		// waiting for it go first, and pruning takes at most half its time.
		select {
		case <-time.After(max(time.Since(start), time.Millisecond)):
		case <-ctx.Done():
			return total, ctx.Err()
		}
	}
}
