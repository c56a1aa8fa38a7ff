package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"botgate/model"
)

// Tx is a configuration write transaction: everything done through it commits
// together and bumps the config revision once.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	now time.Time
}

// Update runs fn in one configuration write transaction.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return db.update(ctx, func(tx *sql.Tx) error {
		return fn(&Tx{ctx: ctx, tx: tx, now: db.now()})
	})
}

func encodeList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeList(s string) []string {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil || v == nil {
		return []string{}
	}
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// --- settings ---

// SetSetting stores one setting.
func (t *Tx) SetSetting(key, value string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Settings returns every stored setting.
func (db *DB) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

// --- users ---

const userCols = `id, name, password_hash, roles, disabled, updated_at`

func scanUser(s interface{ Scan(...any) error }) (model.User, error) {
	var u model.User
	var roles string
	var disabled int
	var updated int64
	if err := s.Scan(&u.ID, &u.Name, &u.PasswordHash, &roles, &disabled, &updated); err != nil {
		return u, err
	}
	u.Roles = decodeList(roles)
	u.Disabled = disabled != 0
	u.UpdatedAt = time.UnixMilli(updated)
	return u, nil
}

// UpsertUser creates or updates a user by name. An empty PasswordHash keeps the
// stored one (so a roles edit does not need the password).
func (t *Tx) UpsertUser(u model.User) error {
	if u.PasswordHash == "" {
		res, err := t.tx.ExecContext(t.ctx, `UPDATE users SET roles = ?, disabled = ?, updated_at = ? WHERE name = ?`,
			encodeList(u.Roles), boolInt(u.Disabled), t.now.UnixMilli(), u.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("用户 %q 不存在，新用户必须设置密码", u.Name)
		}
		return nil
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO users (name, password_hash, roles, disabled, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, roles = excluded.roles, disabled = excluded.disabled, updated_at = excluded.updated_at`,
		u.Name, u.PasswordHash, encodeList(u.Roles), boolInt(u.Disabled), t.now.UnixMilli())
	return err
}

// DeleteUser removes a user by name.
func (t *Tx) DeleteUser(name string) error {
	return deleteByName(t, `DELETE FROM users WHERE name = ?`, name)
}

// RenameUser gives user from the name to; templates that name the user in
// their users list follow, so the rename keeps every permission.
// ErrNotFound: no user from. ErrExists: a user to already exists.
func (t *Tx) RenameUser(from, to string) error {
	var n int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM users WHERE name = ?`, to).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrExists
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE users SET name = ?, updated_at = ? WHERE name = ?`, to, t.now.UnixMilli(), from)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT keyword, users FROM templates WHERE users <> '[]'`)
	if err != nil {
		return err
	}
	renamed := map[string][]string{}
	for rows.Next() {
		var kw, list string
		if err := rows.Scan(&kw, &list); err != nil {
			rows.Close()
			return err
		}
		users := decodeList(list)
		if !slices.Contains(users, from) {
			continue
		}
		var out []string // from becomes to, listed once even if to was there already
		for _, u := range users {
			if u == from {
				u = to
			}
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
		renamed[kw] = out
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The user's messages follow too: ownership (GET /api/v1/messages/{id})
	// and idempotency keys are per user name. OR IGNORE leaves rows whose key
	// a deleted user of the new name already used.
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE OR IGNORE outbox SET api_user = ? WHERE api_user = ?`, to, from); err != nil {
		return err
	}
	for kw, users := range renamed {
		if _, err := t.tx.ExecContext(t.ctx, `UPDATE templates SET users = ?, updated_at = ? WHERE keyword = ?`, encodeList(users), t.now.UnixMilli(), kw); err != nil {
			return err
		}
	}
	return nil
}

// Users lists every API user.
func (db *DB) Users(ctx context.Context) ([]model.User, error) {
	return queryAll(ctx, db.r, `SELECT `+userCols+` FROM users ORDER BY name`, scanUser)
}

// UserByName finds one user.
func (db *DB) UserByName(ctx context.Context, name string) (model.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// --- data sources ---

func scanDataSource(s interface{ Scan(...any) error }) (model.DataSource, error) {
	var d model.DataSource
	err := s.Scan(&d.Name, &d.Driver, &d.DSN)
	return d, err
}

// UpsertDataSource creates or replaces a data source by name.
func (t *Tx) UpsertDataSource(d model.DataSource) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO datasources (name, driver, dsn, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET driver = excluded.driver, dsn = excluded.dsn, updated_at = excluded.updated_at`,
		d.Name, d.Driver, d.DSN, t.now.UnixMilli())
	return err
}

// DeleteDataSource removes a data source by name.
func (t *Tx) DeleteDataSource(name string) error {
	return deleteByName(t, `DELETE FROM datasources WHERE name = ?`, name)
}

// DataSources lists the configured data sources.
func (db *DB) DataSources(ctx context.Context) ([]model.DataSource, error) {
	return queryAll(ctx, db.r, `SELECT name, driver, dsn FROM datasources ORDER BY name`, scanDataSource)
}

// --- channels ---

func scanChannel(s interface{ Scan(...any) error }) (model.Channel, error) {
	var c model.Channel
	var cfg string
	var enabled int
	if err := s.Scan(&c.Name, &c.Type, &c.RatePerMinute, &cfg, &enabled); err != nil {
		return c, err
	}
	c.Enabled = enabled != 0
	c.Config = map[string]string{}
	_ = json.Unmarshal([]byte(cfg), &c.Config)
	return c, nil
}

// UpsertChannel creates or replaces a channel by name.
func (t *Tx) UpsertChannel(c model.Channel) error {
	cfg, err := json.Marshal(c.Config)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO channels (name, type, rate_per_minute, config, enabled, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET type = excluded.type, rate_per_minute = excluded.rate_per_minute, config = excluded.config, enabled = excluded.enabled, updated_at = excluded.updated_at`,
		c.Name, c.Type, c.RatePerMinute, string(cfg), boolInt(c.Enabled), t.now.UnixMilli())
	return err
}

// DeleteChannel removes a channel by name.
func (t *Tx) DeleteChannel(name string) error {
	return deleteByName(t, `DELETE FROM channels WHERE name = ?`, name)
}

// Channels lists the configured channels.
func (db *DB) Channels(ctx context.Context) ([]model.Channel, error) {
	return queryAll(ctx, db.r, `SELECT name, type, rate_per_minute, config, enabled FROM channels ORDER BY name`, scanChannel)
}

// --- templates ---

const templateCols = `keyword, kind, datasource, sql, roles, users, chat, reply, max_rows, timeout_ms, enabled`

func scanTemplate(s interface{ Scan(...any) error }) (model.Template, error) {
	var t model.Template
	var roles, users string
	var chat, enabled int
	if err := s.Scan(&t.Keyword, &t.Kind, &t.DataSource, &t.SQL, &roles, &users, &chat, &t.Reply, &t.MaxRows, &t.TimeoutMS, &enabled); err != nil {
		return t, err
	}
	t.Roles, t.Users = decodeList(roles), decodeList(users)
	t.Chat, t.Enabled = chat != 0, enabled != 0
	return t, nil
}

// UpsertTemplate creates or replaces a template by keyword.
func (t *Tx) UpsertTemplate(tp model.Template) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO templates (`+templateCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (keyword) DO UPDATE SET kind = excluded.kind, datasource = excluded.datasource, sql = excluded.sql,
		roles = excluded.roles, users = excluded.users, chat = excluded.chat, reply = excluded.reply,
		max_rows = excluded.max_rows, timeout_ms = excluded.timeout_ms, enabled = excluded.enabled, updated_at = excluded.updated_at`,
		tp.Keyword, tp.Kind, tp.DataSource, tp.SQL, encodeList(tp.Roles), encodeList(tp.Users), boolInt(tp.Chat), tp.Reply,
		tp.MaxRows, tp.TimeoutMS, boolInt(tp.Enabled), t.now.UnixMilli())
	return err
}

// DeleteTemplate removes a template by keyword.
func (t *Tx) DeleteTemplate(keyword string) error {
	return deleteByName(t, `DELETE FROM templates WHERE keyword = ?`, keyword)
}

// Templates lists every template.
func (db *DB) Templates(ctx context.Context) ([]model.Template, error) {
	return queryAll(ctx, db.r, `SELECT `+templateCols+` FROM templates ORDER BY keyword`, scanTemplate)
}

// --- helpers ---

func deleteByName(t *Tx, q, name string) error {
	res, err := t.tx.ExecContext(t.ctx, q, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func queryAll[T any](ctx context.Context, db *sql.DB, q string, scan func(interface{ Scan(...any) error }) (T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	return scanAll(rows, err, scan)
}

// scanAll is queryAll's reading of the rows, for a prepared statement's query too.
func scanAll[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
