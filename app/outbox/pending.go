package outbox

import (
	"context"

	"botgate/model"
)

// The dispatcher keeps the undelivered messages it has read in memory, each
// recipient's in order, and reads from the database only the rows it has not
// seen yet (ids above its cursor). Before this it read every pending row
// again at each wake-up, up to 5000 of them, only to skip the ones whose
// recipient was busy: with one recipient's backlog of a few thousand, that
// re-reading was 40% of the server's CPU at 32 connections, and every send
// paid for it.
//
// Memory stays bounded (a few MB at most). A recipient holds at most
// holdPerRecipient messages, enough for a burst to one person or group not
// to be read twice; the rest of its backlog stays in the database (more),
// and is read again, only for that recipient, once what it holds is sent.
// At most maxHeld messages are held in all (40 recipients each with a full
// hold); past that the cursor waits, so a flood of recipients delays the
// newest messages, it never loses them.
const (
	holdPerRecipient = 500
	maxHeld          = 20000
	// scanPerRound bounds the rows one round reads, so that the first
	// round over a large backlog does not hold up the sends in progress.
	scanPerRound = 5000
	pageRows     = 500
)

// recipientQueue is one recipient's messages that no worker has: sorted by
// id, the oldest (the next to send) first.
type recipientQueue struct {
	channel, kind, target string
	msgs                  []model.Message
	more                  bool  // rows of this recipient after lastID are in the database, not here
	lastID                int64 // the highest id this queue ever held
}

// pending is the dispatcher's picture of the outbox; Run alone uses it.
type pending struct {
	queues map[string]*recipientQueue
	cursor int64 // every pending row with id <= cursor is here, with a worker, or counted in a queue's more
	held   int   // messages in queues (not those with workers)
}

func newPending() *pending { return &pending{queues: map[string]*recipientQueue{}} }

// queue returns m's recipient's queue, creating it.
func (p *pending) queue(m model.Message) *recipientQueue {
	key := recipient(m)
	q := p.queues[key]
	if q == nil {
		q = &recipientQueue{channel: m.Channel, kind: m.TargetKind, target: m.Target}
		p.queues[key] = q
	}
	return q
}

// add places a row read in id order at the end of its recipient's queue,
// or counts it in more when the queue is full (or already has rows waiting
// in the database: those come first).
func (p *pending) add(m model.Message) {
	q := p.queue(m)
	if q.more || len(q.msgs) >= holdPerRecipient {
		q.more = true
		return
	}
	q.msgs = append(q.msgs, m)
	q.lastID = max(q.lastID, m.ID)
	p.held++
}

// take removes up to n messages from the front of key's queue, for a worker.
func (p *pending) take(key string, n int) []model.Message {
	q := p.queues[key]
	n = min(n, len(q.msgs))
	batch := append([]model.Message(nil), q.msgs[:n]...)
	q.msgs = q.msgs[n:]
	p.held -= n
	return batch
}

// putBack returns messages a worker did not finish (a retry later, or
// untried after a failure) to the front of their queue, in their order:
// they are older than everything the queue holds.
func (p *pending) putBack(ms []model.Message) {
	if len(ms) == 0 {
		return
	}
	q := p.queue(ms[0])
	q.msgs = append(append(make([]model.Message, 0, len(ms)+len(q.msgs)), ms...), q.msgs...)
	for _, m := range ms {
		q.lastID = max(q.lastID, m.ID)
	}
	p.held += len(ms)
}

// drop forgets key's queue once it is empty, has nothing waiting in the
// database and no worker (busy): a recipient that is done costs nothing.
func (p *pending) drop(key string, busy bool) {
	if q := p.queues[key]; q != nil && len(q.msgs) == 0 && !q.more && !busy {
		delete(p.queues, key)
	}
}

// readNew reads the rows above the cursor, a page at a time, until they run
// out, the round's scan bound is reached or maxHeld messages are held; it
// tells whether rows may be left to read (the next round should come soon).
// Rows with a worker (after a resync) are skipped: their outcome comes back
// through putBack or is final.
func (p *pending) readNew(ctx context.Context, store Store, withWorker func(id int64) bool) (left bool, err error) {
	for scanned := 0; scanned < scanPerRound; {
		if p.held >= maxHeld {
			return true, nil
		}
		limit := min(pageRows, maxHeld-p.held)
		page, err := store.PendingMessages(ctx, p.cursor, limit)
		if err != nil {
			return false, err
		}
		for _, m := range page {
			p.cursor = m.ID
			if !withWorker(m.ID) {
				p.add(m)
			}
		}
		scanned += len(page)
		if len(page) < limit {
			return false, nil
		}
	}
	return true, nil
}

// accept takes rows handed over after their commit, in id order, as
// readNew would have read them: as long as each is the row right after the
// cursor, nothing can have been committed in between that the dispatcher
// has not seen (ids grow with every commit, and none is given out twice).
// It stops at the first row that does not follow on, or once maxHeld
// messages are held; readNew reads the rest from the table. Rows at or
// below the cursor, or at or below seen (the highest id ever read, which a
// resync does not lower), were read already.
func (p *pending) accept(rows []model.Message, withWorker func(id int64) bool, seen int64) {
	for _, m := range rows {
		if m.ID <= p.cursor || m.ID <= seen {
			continue
		}
		if m.ID != p.cursor+1 || p.held >= maxHeld {
			return
		}
		p.cursor = m.ID
		if !withWorker(m.ID) {
			p.add(m)
		}
	}
}

// reload reads again from the database the backlog of a recipient whose
// queue ran dry while more of its rows were left there: the next
// holdPerRecipient of them, none above the cursor (those are read in turn).
func (p *pending) reload(ctx context.Context, store Store, key string) error {
	q := p.queues[key]
	rows, err := store.PendingFor(ctx, q.channel, q.kind, q.target, q.lastID, p.cursor, holdPerRecipient)
	if err != nil {
		return err
	}
	q.msgs = append(q.msgs, rows...)
	p.held += len(rows)
	if len(rows) > 0 {
		q.lastID = rows[len(rows)-1].ID
	}
	q.more = len(rows) == holdPerRecipient
	return nil
}
