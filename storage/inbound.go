package storage

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"botgate/internal/text"
	"botgate/model"
)

// maxInboundText bounds what one row keeps of a chat message: enough to see
// what was asked, not a copy of a pasted document.
const maxInboundText = 500

// InsertInbound appends one inbound log row and returns its id.
func (db *DB) InsertInbound(ctx context.Context, in model.Inbound) (int64, error) {
	var msgID any
	if in.MsgID != 0 {
		msgID = in.MsgID
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO inbound_log (at, channel, sender, sender_name, grp, keyword, text, outcome, detail, rows, via, msg_id, duration_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.At.UnixMilli(), in.Channel, in.Sender, text.Cap(in.SenderName, 100), in.Group, text.Cap(in.Keyword, 100),
		text.Cap(in.Text, maxInboundText), in.Outcome, text.Cap(in.Detail, maxInboundText), in.Rows, in.Via, msgID, in.DurationUS)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// InboundLogs lists inbound log rows, newest first.
func (db *DB) InboundLogs(ctx context.Context, f model.InboundFilter) ([]model.Inbound, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	var where []string
	var args []any
	if f.Channel != "" {
		where, args = append(where, `channel = ?`), append(args, f.Channel)
	}
	if f.Sender != "" {
		where, args = append(where, `sender = ?`), append(args, f.Sender)
	}
	if f.Outcome != "" {
		where, args = append(where, `outcome = ?`), append(args, f.Outcome)
	}
	if !f.Since.IsZero() {
		where, args = append(where, `at >= ?`), append(args, f.Since.UnixMilli())
	}
	if f.Contains != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Contains) + "%"
		where = append(where, `(keyword LIKE ? ESCAPE '\' OR text LIKE ? ESCAPE '\' OR sender_name LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	q := `SELECT id, at, channel, sender, sender_name, grp, keyword, text, outcome, detail, rows, via, msg_id, duration_us FROM inbound_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	return queryAll(ctx, db.r, q, func(s interface{ Scan(...any) error }) (model.Inbound, error) {
		var in model.Inbound
		var at int64
		var msgID sql.NullInt64
		err := s.Scan(&in.ID, &at, &in.Channel, &in.Sender, &in.SenderName, &in.Group, &in.Keyword, &in.Text,
			&in.Outcome, &in.Detail, &in.Rows, &in.Via, &msgID, &in.DurationUS)
		in.At, in.MsgID = time.UnixMilli(at), msgID.Int64
		return in, err
	}, args...)
}

// PruneInbound deletes inbound log rows older than before and returns how many.
func (db *DB) PruneInbound(ctx context.Context, before time.Time) (int64, error) {
	return db.pruneBatched(ctx, pruneInbound, before.UnixMilli())
}
