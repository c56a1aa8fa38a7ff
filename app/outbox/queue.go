// Package outbox makes sends durable: Queue commits them to the state database
// before the client is answered, Dispatcher delivers them through channels with
// rate limits, retries and per-recipient order.
package outbox

import (
	"context"
	"errors"

	"botgate/model"
)

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("outbox closed")

// Enqueuer is the part of the store the queue needs.
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs []model.NewMessage) ([]model.Enqueued, error)
}

type addReq struct {
	ctx  context.Context
	msg  model.NewMessage
	done chan addRes
}

type addRes struct {
	e   model.Enqueued
	err error
}

// Queue batches concurrent sends into one transaction (group commit): with
// synchronous=FULL each commit is an fsync, and sharing it is what makes
// thousands of durable sends per second possible.
type Queue struct {
	store   Enqueuer
	reqs    chan addReq
	stop    chan struct{}
	stopped chan struct{}
	added   func() // told after each commit (wakes the dispatcher)
	max     int
}

// NewQueue starts the batching goroutine; call Close to stop it.
func NewQueue(store Enqueuer, added func()) *Queue {
	q := &Queue{store: store, reqs: make(chan addReq), stop: make(chan struct{}), stopped: make(chan struct{}), added: added, max: 256}
	go q.loop()
	return q
}

// Add queues m durably; when it returns without error the message is committed.
func (q *Queue) Add(ctx context.Context, m model.NewMessage) (model.Enqueued, error) {
	r := addReq{ctx: ctx, msg: m, done: make(chan addRes, 1)}
	select {
	case q.reqs <- r:
	case <-q.stop:
		return model.Enqueued{}, ErrClosed
	case <-ctx.Done():
		return model.Enqueued{}, ctx.Err()
	}
	// Once handed over, wait for the commit even if the client went away:
	// the answer must match what is on disk.
	res := <-r.done
	return res.e, res.err
}

// Close stops accepting and waits for the batch in progress.
func (q *Queue) Close() {
	select {
	case <-q.stop:
	default:
		close(q.stop)
	}
	<-q.stopped
}

func (q *Queue) loop() {
	defer close(q.stopped)
	batch := make([]addReq, 0, q.max)
	for {
		select {
		case r := <-q.reqs:
			batch = append(batch[:0], r)
		case <-q.stop:
			return
		}
	fill:
		for len(batch) < q.max {
			select {
			case r := <-q.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		q.commit(batch)
	}
}

func (q *Queue) commit(batch []addReq) {
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
		q.added()
	}
}
