package datasource

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrStateDB is what a data source gets when its file is, or leads to,
// BotGate's own state database (API users and their password hashes, the
// outbox). errors.Is finds it inside the Chinese error.
var ErrStateDB = errors.New("数据源指向了 BotGate 的状态数据库")

// stateDBError names both files so the admin can see which setting to fix.
type stateDBError struct{ data, state string }

func (e *stateDBError) Error() string {
	return fmt.Sprintf("数据源不能指向 BotGate 自己的状态数据库 %s：数据文件 %s 就是它、它的 -wal/-shm/-journal 文件，或指向它们的链接。"+
		"请在“数据源”中把文件路径改成 ERP 的数据库文件；如果路径没有改过，请检查这个文件是否被换成了指向状态数据库的链接或硬链接", e.state, e.data)
}

func (e *stateDBError) Is(target error) bool { return target == ErrStateDB }

// companions are the suffixes SQLite appends to a database's name for the
// files that hold its pages too: a data file named like one of the state
// database's companions would read (or checkpoint into) the state database.
var companions = []string{"", "-wal", "-shm", "-journal"}

// stateGuard refuses every path that reaches the state database, by name
// after resolving symlinks and by file identity (os.SameFile: device and
// inode on Unix, volume serial and file index on Windows), so a symlink, a
// hard link and the state database renamed onto the data path are all
// refused. It is consulted before each connection SQLite opens, not only
// when the data source is saved: the data file can be replaced later.
type stateGuard struct {
	path string // the state database, absolute
	// opened is the state database as it was when the data source opened.
	// Once renamed away, its path no longer leads to it, but the file still
	// has this identity.
	opened os.FileInfo
}

// newStateGuard guards the state database at path; nil (which refuses
// nothing) when there is none.
func newStateGuard(path string) *stateGuard {
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	g := &stateGuard{path: abs}
	if fi, err := os.Stat(abs); err == nil {
		// On Windows os.Stat only notes the path and SameFile looks the file
		// up by it on first use; comparing now pins the identity to the file
		// that is the state database today.
		os.SameFile(fi, fi)
		g.opened = fi
	}
	return g
}

// check returns a *stateDBError when the SQLite file path (absolute), or the
// companions SQLite would use beside it, is or leads to the state database.
func (g *stateGuard) check(path string) error {
	if g == nil {
		return nil
	}
	var names []string
	var files []os.FileInfo
	if g.opened != nil {
		files = append(files, g.opened)
	}
	for _, base := range unique(g.path, resolve(g.path)) {
		for _, suf := range companions {
			names = append(names, base+suf)
			// Taken again on every check: the state database's WAL files
			// come and go, and a new state file may have replaced the old.
			if fi, err := os.Stat(base + suf); err == nil {
				files = append(files, fi)
			}
		}
	}
	// SQLite names the companions after the file the link resolves to; a
	// companion of the data file may itself be a link.
	for _, base := range unique(path, resolve(path)) {
		for _, suf := range companions {
			for _, p := range unique(base+suf, resolve(base+suf)) {
				if g.matches(p, names, files) {
					return &stateDBError{data: path, state: g.path}
				}
			}
		}
	}
	return nil
}

func (g *stateGuard) matches(p string, names []string, files []os.FileInfo) bool {
	for _, n := range names {
		if samePath(p, n) {
			return true
		}
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	for _, f := range files {
		if os.SameFile(fi, f) {
			return true
		}
	}
	return false
}

// samePath compares cleaned absolute paths, ignoring case where the usual
// file system does (a false match there only refuses a data file named like
// the state database).
func samePath(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

func unique(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// resolve follows the symlinks in the absolute path p as far as they lead,
// also when the last one dangles: SQLite would then create the file the
// link names, so that name is what must be checked.
func resolve(p string) string {
	for range 40 { // as many links as Linux follows before ELOOP
		dir, base := filepath.Split(p)
		if d, err := filepath.EvalSymlinks(dir); err == nil {
			dir = d
		}
		p = filepath.Join(dir, base)
		target, err := os.Readlink(p)
		if err != nil {
			return p
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		p = target
	}
	return p
}

// guardedConnector checks the data file before every connection the pool
// opens, and again against the file SQLite reports it opened. A connection
// already open keeps the file it opened (SQLite holds the descriptor), so a
// file replaced later only ever reaches new connections, and those are
// refused.
type guardedConnector struct {
	driver.Connector
	path  string // the data file, absolute
	guard *stateGuard
}

func (c guardedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := c.guard.check(c.path); err != nil {
		return nil, err
	}
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	// The file may have been swapped between the check and the open.
	opened, err := mainFile(ctx, conn)
	if err == nil {
		err = c.guard.check(opened)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// mainFile is the file SQLite opened as the connection's main database, as
// PRAGMA database_list reports it (symlinks resolved).
func mainFile(ctx context.Context, conn driver.Conn) (string, error) {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return "", fmt.Errorf("SQLite 驱动不支持查询数据库文件名")
	}
	rows, err := q.QueryContext(ctx, "PRAGMA database_list", nil)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	row := make([]driver.Value, len(rows.Columns()))
	if len(row) < 3 {
		return "", fmt.Errorf("PRAGMA database_list 返回了 %d 列", len(row))
	}
	for {
		if err := rows.Next(row); err == io.EOF {
			return "", fmt.Errorf("SQLite 连接没有主数据库")
		} else if err != nil {
			return "", err
		}
		if fmt.Sprint(row[1]) == "main" {
			switch f := row[2].(type) {
			case string:
				return f, nil
			case []byte:
				return string(f), nil
			}
			return "", fmt.Errorf("PRAGMA database_list 的文件名是 %T", row[2])
		}
	}
}
