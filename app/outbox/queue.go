// Package outbox makes sends durable: Queue commits them to the state database
// before the client is answered, Dispatcher delivers them through channels with
// rate limits, retries and per-recipient order.
package outbox

import (
	"context"
	"errors"
	"sync"

	"botgate/model"
)

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("outbox closed")

// Enqueuer is the part of the store the queue needs.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs []model.NewMessage) ([]model.Enqueued, error)
}

type addReq struct {
	msg  model.NewMessage
	done chan addRes
}

type addRes struct {
	e    model.Enqueued
	err  error
	lead bool // not a result: the caller is to commit the next batch
}

// Queue batches concurrent sends into one transaction (group commit): with
// synchronous=FULL each commit is an fsync, and sharing it is what makes
// thousands of durable sends per second possible.
//
// There is no committing goroutine: the caller that finds no commit in
// progress commits itself (the leader), taking every send queued behind it
// too; when it is done, the oldest of those that arrived meanwhile leads the
// next batch. A lone caller (an ERP sending one message at a time) thus
// commits on its own goroutine, without the two goroutine hand-offs per
// send that a committing goroutine costs (each a thread wake-up, tens of
// microseconds on a virtual machine).
type Queue struct {
	store Enqueuer
	added func([]model.Message) // told the rows of each commit (the dispatcher's Handoff)
	max   int

	mu      sync.Mutex
	waiting []*addReq // accepted, not yet in a batch
	leading bool      // a caller is committing a batch
	closed  bool
	idle    sync.Cond // broadcast when leading ends (Close waits for it)
}

// NewQueue builds a queue; call Close to stop it. added, if not nil, is
// given the new rows of each commit, in id order.
func NewQueue(store Enqueuer, added func([]model.Message)) *Queue {
	q := &Queue{store: store, added: added, max: 256}
	q.idle.L = &q.mu
	return q
}

// Add queues m durably; when it returns without error the message is committed.
func (q *Queue) Add(ctx context.Context, m model.NewMessage) (model.Enqueued, error) {
	if err := ctx.Err(); err != nil {
		return model.Enqueued{}, err
	}
	r := &addReq{msg: m, done: make(chan addRes, 1)}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return model.Enqueued{}, ErrClosed
	}
	q.waiting = append(q.waiting, r)
	if q.leading {
		q.mu.Unlock()
		// Once accepted, wait for the commit even if the client went away:
		// the answer must match what is on disk.
		res := <-r.done
		if !res.lead {
			return res.e, res.err
		}
		q.mu.Lock()
	}
	q.leading = true
	q.lead()
	res := <-r.done
	return res.e, res.err
}

// lead commits the oldest waiting sends (the leader's own among them: it
// is first in line), then hands the lead to the next in line, if any. It is
// called with mu held and returns with it released.
func (q *Queue) lead() {
	n := min(len(q.waiting), q.max)
	batch := q.waiting[:n:n]
	q.waiting = append([]*addReq(nil), q.waiting[n:]...)
	q.mu.Unlock()
	q.commit(batch)
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) > 0 {
		q.waiting[0].done <- addRes{lead: true}
		return
	}
	q.leading = false
	q.idle.Broadcast()
}

// Close stops accepting and waits until every accepted send is committed.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for q.leading {
		q.idle.Wait()
	}
}

func (q *Queue) commit(batch []*addReq) {
	msgs := make([]model.NewMessage, len(batch))
	for i, r := range batch {
		msgs[i] = r.msg
	}
	// The batch's own context: one client's cancel must not abort the others.
	res, err := q.store.Enqueue(context.Background(), msgs)
	for i, r := range batch {
		if err != nil {
			r.done <- addRes{err: err}
		} else {
			r.done <- addRes{e: res[i]}
		}
	}
	if err == nil && q.added != nil {
		rows := make([]model.Message, 0, len(res))
		for _, e := range res {
			if !e.Existing {
				rows = append(rows, e.Row)
			}
		}
		q.added(rows)
	}
}
