// Package serverlock keeps one server per database.
//
// The running server holds an exclusive OS lock on <db>.lock (flock on unix,
// LockFileEx on Windows) and writes its process id and bound address into
// it, so a second `serve`, the GUI or `service status` can tell that a server
// is up and where. The kernel drops the lock when the process dies, so a
// server killed with kill -9 or a power cut never leaves a lock that blocks
// the next start. The file itself is never deleted: removing it while another
// process has it open would let two servers lock two different files of the
// same name.
package serverlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"botgate/model"
)

// ErrRunning is wrapped by the error Acquire returns when another process
// already serves the database (errors.Is works on it).
var ErrRunning = errors.New("another BotGate server holds the database lock")

// errLockBusy is what the platform lock call reports when someone else holds it.
var errLockBusy = errors.New("lock busy")

// Info describes the server holding a database's lock.
type Info struct {
	PID   int       `json:"pid"`
	Addr  string    `json:"addr,omitempty"` // bound address; empty while still starting
	Since time.Time `json:"since"`
}

// Path is the lock file that guards dbPath.
func Path(dbPath string) string { return dbPath + ".lock" }

// Lock is a held lock; the zero value is not usable.
type Lock struct {
	mu   sync.Mutex // the server's rebind writes info while the window reads it
	f    *os.File
	info Info
}

// Acquire takes the lock for dbPath or says who holds it. A busy lock is
// retried briefly so that a probe by Find at the same instant (which holds
// the lock for microseconds) is not mistaken for a running server.
func Acquire(dbPath string, now time.Time) (*Lock, error) {
	path := Path(dbPath)
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
			info, _ := readInfo(path)
			return nil, runningError(dbPath, info)
		}
		return nil, &model.Error{Code: model.CodeInternal, Msg: fmt.Sprintf("无法锁定 %s：%v", path, err), Err: err}
	}
	l := &Lock{f: f, info: Info{PID: os.Getpid(), Since: now}}
	if err := l.write(); err != nil {
		l.Release()
		return nil, err
	}
	return l, nil
}

// runningError is the message a second server gets. It names the holder so
// the admin knows which window or service to close.
func runningError(dbPath string, info Info) *model.Error {
	who := "另一个 BotGate"
	if info.PID > 0 {
		who += fmt.Sprintf("（进程 %d", info.PID)
		if info.Addr != "" {
			who += "，地址 http://" + info.Addr + "/"
		}
		who += "）"
	}
	return &model.Error{Code: model.CodeInvalid, Field: "listen", Err: ErrRunning, Msg: fmt.Sprintf(
		"数据库 %s 已由%s在使用：同一个数据库只能运行一个服务。请直接使用正在运行的那个，或先停止它（系统服务用 botgate service stop，窗口用“停止”），或用 --db 指定另一个数据库", dbPath, who)}
}

// Info is what the lock file says about this server.
func (l *Lock) Info() Info {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.info
}

// SetAddr records the bound address for Find.
func (l *Lock) SetAddr(addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.info.Addr = addr
	return l.write()
}

// write stores info; called with mu held (or before l is shared).
func (l *Lock) write() error {
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

// Release empties the file (so no stale address is ever read), unlocks and
// closes. Releasing twice, or a nil lock, does nothing.
func (l *Lock) Release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	l.f.Truncate(0)
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}

func readInfo(path string) (Info, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Info{}, err
	}
	var info Info
	if s := strings.TrimSpace(string(b)); s != "" {
		err = json.Unmarshal([]byte(s), &info)
	}
	return info, err
}

// Find tells whether a BotGate server (in any process, this one included) is
// running on the database at dbPath, and where it listens. The GUI uses it to
// show a server started as a system service instead of starting a second
// one. A missing database or lock file means none.
func Find(dbPath string) (Info, bool, error) {
	path := Path(dbPath)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, false, nil
	}
	if err != nil {
		return Info{}, false, err
	}
	defer f.Close()
	switch err := lockFile(f); {
	case err == nil:
		unlockFile(f)
		return Info{}, false, nil
	case errors.Is(err, errLockBusy):
		info, _ := readInfo(path)
		return info, true, nil
	default:
		return Info{}, false, err
	}
}
