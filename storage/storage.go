// Package storage keeps BotGate's own state in one SQLite file: settings, API
// users, data sources, channels, templates, the outbox and the request log. It is
// the only package that writes SQL for that state.
package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"botgate/model"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the state database. Writes go through a single connection (SQLite has
// one writer anyway; a pool would only trade SQLITE_BUSY for waiting), reads
// through a small read-only pool.
type DB struct {
	w    *sql.DB
	r    *sql.DB
	path string
	now  func() time.Time
	// enqueue is the outbox insert, prepared once on the writer: parsing it
	// for every acknowledged send cost as much as the rest of the request.
	enqueue *sql.Stmt
	// pending (on the readers) and outcome (on the writer) are the
	// dispatcher's read and write, prepared once for the same reason: the
	// profile of a c=1 load had a tenth of the CPU in parsing them.
	pending, outcome *sql.Stmt
	// message is the lookup of one outbox row (GET /api/v1/messages/{id},
	// which an ERP polls for delivery): parsing it was a third of that
	// request's CPU.
	message *sql.Stmt
	// multi holds the multi-row INSERTs (multiRow) by their text.
	multiMu sync.Mutex
	multi   map[string]*sql.Stmt
	// ckpt checkpoints the WAL off the request path (checkpoint.go).
	ckpt *checkpointer
	// newest is the highest outbox id this process has committed
	// (NewestMessageID).
	newest atomic.Int64
	// carry holds the relaxed writes waiting for a send's commit, for at
	// most carryWait (carry.go).
	carry     carrier
	carryWait time.Duration
	smallAt   atomic.Int64 // sendCommit: 1 + the time since opened of the latest small send commit, 0 after a large one
	opened    time.Time    // monotonic base for smallAt
}

// ErrNotFound is returned by lookups of a single row that does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when a new name is already taken.
var ErrExists = errors.New("already exists")

// pragmas are set in the DSN so that every pooled connection gets them.
// synchronous(FULL) makes a committed outbox row survive power loss, not just a
// crash of the process.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"

// MissingError is OpenExisting's error when no database is at Path (absolute).
type MissingError struct{ Path string }

func (e *MissingError) Error() string { return "数据库不存在：" + e.Path }

// CheckExists returns a *MissingError when no file is at path: the test
// OpenExisting makes, for callers that need to know without opening it.
// Other stat errors (a folder that cannot be read) are left to the open,
// which reports them with the file name.
func CheckExists(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return &MissingError{Path: abs}
	}
	return nil
}

// Open opens (creating if needed) the state database at path and applies any
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("创建数据目录 %s 失败: %w", filepath.Dir(abs), err)
	}
	return open(ctx, abs)
}

// OpenExisting is Open for commands that only read (config export): a
// missing database is a *MissingError, and nothing is created, neither the
// folder nor the file. SQLite would create both on open, so the check
// comes first. An existing database is still migrated, as by Open.
func OpenExisting(ctx context.Context, path string) (*DB, error) {
	if err := CheckExists(path); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return open(ctx, abs)
}

// open opens the database at the absolute path abs, whose folder exists.
func open(ctx context.Context, abs string) (*DB, error) {
	w, err := sql.Open("sqlite", abs+"?"+pragmas+"&_txlock=immediate&_pragma=wal_autocheckpoint("+strconv.Itoa(autocheckpointPages)+")")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	db := &DB{w: w, path: abs, now: time.Now, carryWait: carryWait, opened: time.Now()}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		if strings.Contains(err.Error(), "file is not a database") {
			return nil, fmt.Errorf("打开状态数据库 %s 失败：这个文件不是 BotGate 的数据库，或已经损坏 (%w)", abs, err)
		}
		return nil, fmt.Errorf("打开状态数据库 %s 失败: %w", abs, err)
	}
	r, err := sql.Open("sqlite", abs+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(2)
	db.r = r
	c, err := sql.Open("sqlite", abs+"?"+pragmas)
	if err != nil {
		db.Close()
		return nil, err
	}
	c.SetMaxOpenConns(1)
	db.ckpt = startCheckpointer(c, w)
	if db.enqueue, err = w.PrepareContext(ctx, enqueueSQL); err == nil {
		if db.outcome, err = w.PrepareContext(ctx, outcomeSQL); err == nil {
			if db.pending, err = r.PrepareContext(ctx, pendingSQL); err == nil {
				db.message, err = r.PrepareContext(ctx, messageSQL)
			}
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("打开状态数据库 %s 失败: %w", abs, err)
	}
	return db, nil
}

// Path is the absolute path of the state database file.
func (db *DB) Path() string { return db.path }

// Close closes the pools and the checkpointer's connection; the writer
// closes last, so its final checkpoint leaves no WAL behind.
func (db *DB) Close() error {
	var err, cerr error
	db.multiMu.Lock()
	stmts := []*sql.Stmt{db.enqueue, db.outcome, db.pending, db.message}
	for _, st := range db.multi {
		stmts = append(stmts, st)
	}
	db.multi = nil
	db.multiMu.Unlock()
	for _, st := range stmts {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	if db.ckpt != nil {
		cerr = db.ckpt.close()
	}
	return errors.Join(err, cerr, db.r.Close(), db.w.Close())
}

// NewestMessageID is the highest outbox id this process has committed, 0
// before its first: with the server lock, this process is the outbox's only
// writer, so a reader that has seen this id has seen every row there is
// (the dispatcher need not ask the table for rows it was handed).
func (db *DB) NewestMessageID() int64 { return db.newest.Load() }

// enqueued records the rows of a committed insert in NewestMessageID, then
// tells the checkpointer: before the caller hands them on, so that whoever
// learns of the rows finds the id raised.
func (db *DB) enqueued(out []model.Enqueued) {
	var id int64
	for _, e := range out {
		id = max(id, e.ID)
	}
	for cur := db.newest.Load(); id > cur; cur = db.newest.Load() {
		if db.newest.CompareAndSwap(cur, id) {
			break
		}
	}
	db.wrote()
}

// wrote tells the checkpointer that a commit added to the WAL.
func (db *DB) wrote() {
	if db.ckpt != nil {
		db.ckpt.wrote()
	}
}

// migrate applies the embedded migrations in order; each file and its version
// row commit in one transaction, so a migration is never half-applied.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", base)
		}
		if err := db.applyMigration(ctx, v, name); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, version int, name string) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrationFS.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)`, version, filepath.Base(name), db.now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// relaxed runs fn in a write transaction committed with synchronous=NORMAL:
// durable against a crash of the process, not against power loss. Only for
// writes whose loss is harmless (delivery marks, logs); sends themselves are
// always committed with synchronous=FULL.
func (db *DB) relaxed(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return err
	}
	defer func() {
		// Restore FULL on this (the only) writer connection; if that fails, drop
		// the connection so the pool reopens one with the DSN's pragmas.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.wrote()
	return nil
}

// Revision is a counter bumped by every configuration write.
func (db *DB) Revision(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT n FROM revision WHERE id = 1`).Scan(&n)
	return n, err
}

func bumpRevision(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE revision SET n = n + 1 WHERE id = 1`)
	return err
}

// update runs fn in a write transaction that also bumps the config revision.
func (db *DB) update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := bumpRevision(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}
