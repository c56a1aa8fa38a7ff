package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"botgate/model"
	"botgate/storage"
)

// One server per database. The running server holds an exclusive OS lock on
// <db>.lock (flock on unix, LockFileEx on Windows) and writes its process id
// and bound address into it, so a second `serve`, the GUI or `service status`
// can tell that a server is up and where. The kernel drops the lock when the
// process dies, so a server killed with kill -9 or a power cut never leaves a
// lock that blocks the next start. The file itself is never deleted: removing
// it while another process has it open would let two servers lock two
// different files of the same name.

// ErrServerRunning is wrapped by the error StartServer returns when another
// process already serves the database (errors.Is works on it).
var ErrServerRunning = errors.New("another BotGate server holds the database lock")

// errLockBusy is what the platform lock call reports when someone else holds it.
var errLockBusy = errors.New("lock busy")

// ServerInfo describes the server holding a database's lock.
type ServerInfo struct {
	PID   int       `json:"pid"`
	Addr  string    `json:"addr,omitempty"` // bound address; empty while still starting
	Since time.Time `json:"since"`
}

// LockPath is the lock file that guards dbPath.
func LockPath(dbPath string) string { return dbPath + ".lock" }

// serverLock is a held lock; the zero value is not usable.
type serverLock struct {
	f    *os.File
	info ServerInfo
}

// acquireLock takes the lock for dbPath or says who holds it. A busy lock is
// retried briefly so that a probe by FindServer at the same instant (which
// holds the lock for microseconds) is not mistaken for a running server.
func acquireLock(dbPath string, now time.Time) (*serverLock, error) {
	path := LockPath(dbPath)
	// Readable by all: it holds only a process ID and an address, and the
	// window or `service status` of another account (the service may run as
	// root or LocalSystem) reads it to tell whether a server runs.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err == nil {
		_ = f.Chmod(0o644) // a lock file left by an older version is 0600; best effort
	}
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("无法创建锁文件 %s：没有权限。请以管理员身份运行，或让数据库所在文件夹可写", path), Err: err}
		}
		return nil, &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("无法创建锁文件 %s：%v", path, err), Err: err}
	}
	for try := 0; ; try++ {
		err = lockFile(f)
		if !errors.Is(err, errLockBusy) || try == 4 {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err != nil {
		f.Close()
		if errors.Is(err, errLockBusy) {
			info, _ := readLockInfo(path)
			return nil, runningError(dbPath, info)
		}
		return nil, &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("无法锁定 %s：%v", path, err), Err: err}
	}
	l := &serverLock{f: f, info: ServerInfo{PID: os.Getpid(), Since: now}}
	if err := l.write(); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

// runningError is the message a second server gets. It names the holder so
// the admin knows which window or service to close.
func runningError(dbPath string, info ServerInfo) *model.Error {
	who := "另一个 BotGate"
	if info.PID > 0 {
		who += fmt.Sprintf("（进程 %d", info.PID)
		if info.Addr != "" {
			who += "，地址 http://" + info.Addr + "/"
		}
		who += "）"
	}
	return &model.Error{Code: model.CodeInvalid, Field: "listen", Err: ErrServerRunning, Msg: fmt.Sprintf(
		"数据库 %s 已由%s在使用：同一个数据库只能运行一个服务。请直接使用正在运行的那个，或先停止它（系统服务用 botgate service stop，窗口用“停止”），或用 --db 指定另一个数据库", dbPath, who)}
}

// setAddr records the bound address for FindServer.
func (l *serverLock) setAddr(addr string) error {
	l.info.Addr = addr
	return l.write()
}

func (l *serverLock) write() error {
	b, err := json.Marshal(l.info)
	if err != nil {
		return err
	}
	// One WriteAt of a short line: a reader sees the old or the new content,
	// or (rarely) a torn one, which it treats as "address unknown".
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err = l.f.WriteAt(append(b, '\n'), 0)
	return err
}

// release empties the file (so no stale address is ever read), unlocks and closes.
func (l *serverLock) release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Truncate(0)
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}

func readLockInfo(path string) (ServerInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ServerInfo{}, err
	}
	var info ServerInfo
	if s := strings.TrimSpace(string(b)); s != "" {
		err = json.Unmarshal([]byte(s), &info)
	}
	return info, err
}

// FindServer tells whether a BotGate server (in any process, this one
// included) is running on the database at dbPath, and where it listens.
// The GUI uses it to show a server started as a system service instead of
// starting a second one. A missing database or lock file means none.
func FindServer(dbPath string) (ServerInfo, bool, error) {
	path := LockPath(dbPath)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ServerInfo{}, false, nil
	}
	if err != nil {
		return ServerInfo{}, false, err
	}
	defer f.Close()
	switch err := lockFile(f); {
	case err == nil:
		unlockFile(f)
		return ServerInfo{}, false, nil
	case errors.Is(err, errLockBusy):
		info, _ := readLockInfo(path)
		return info, true, nil
	default:
		return ServerInfo{}, false, err
	}
}

// FindServer is FindServer for this App's database. When this process runs
// the server it answers from memory.
func (a *App) FindServer() (ServerInfo, bool, error) {
	a.srvMu.Lock()
	if a.server != nil {
		info := a.server.lock.info
		a.srvMu.Unlock()
		return info, true, nil
	}
	a.srvMu.Unlock()
	return FindServer(a.db.Path())
}

// SavedListen is the listen address saved in the database at dbPath, which is
// where a stopped service will listen when started. It opens only the state
// database (no data sources), and does not create one that is missing.
func SavedListen(ctx context.Context, dbPath string) (string, error) {
	db, err := storage.OpenExisting(ctx, dbPath)
	var missing *storage.MissingError
	if errors.As(err, &missing) {
		return DefaultListen, nil
	}
	if err != nil {
		return "", err
	}
	defer db.Close()
	m, err := db.Settings(ctx)
	if err != nil {
		return "", err
	}
	return settingsFromMap(m).Listen, nil
}
