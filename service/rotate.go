package service

import (
	"fmt"
	"os"
	"sync"
)

// RotatingFile is an append-only log file that is renamed to name.1 (older
// ones to name.2 ... name.keep) once it would grow past max bytes, so a
// service that runs for months keeps a bounded amount of log on disk.
type RotatingFile struct {
	path string
	max  int64
	keep int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// OpenRotating opens (appending to) path. max <= 0 means 10 MB; keep < 1 means 1.
func OpenRotating(path string, max int64, keep int) (*RotatingFile, error) {
	if max <= 0 {
		max = 10 << 20
	}
	if keep < 1 {
		keep = 1
	}
	r := &RotatingFile{path: path, max: max, keep: keep}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("无法打开日志文件 %s：%w", r.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Write appends p, rotating first when p would push the file past max. A
// single write larger than max still goes in whole (into a fresh file).
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	if r.size > 0 && r.size+int64(len(p)) > r.max {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

// rotate shifts name.(k-1) -> name.k, name -> name.1, and starts a new file.
// Renames of missing files are expected (fewer than keep rotations so far).
func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return err
	}
	r.f = nil
	os.Remove(fmt.Sprintf("%s.%d", r.path, r.keep))
	for k := r.keep - 1; k >= 1; k-- {
		os.Rename(fmt.Sprintf("%s.%d", r.path, k), fmt.Sprintf("%s.%d", r.path, k+1))
	}
	// On Windows a rename fails while another program (an editor, a log
	// viewer) has the file open; keep writing to it rather than lose logs.
	if err := os.Rename(r.path, r.path+".1"); err != nil && !os.IsNotExist(err) {
		if oerr := r.open(); oerr != nil {
			return oerr
		}
		r.size = 0 // retry the rotation only after another max bytes
		return nil
	}
	return r.open()
}

// Close closes the file; later writes fail with os.ErrClosed.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
