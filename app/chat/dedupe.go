package chat

import (
	"sync"
	"time"
)

// A platform retries a webhook it got no answer to in time, and anyone who
// captured one signed event can replay it; both carry the message's id.
// recentIDs remembers the ids each channel reported lately so that each
// message is answered once. Memory only: after a restart a replay of an old
// event is answered again, which is no worse than before and keeps nothing
// on disk per chat message.

// Bounds of the memory: the last dedupeSize ids of each channel, each for at
// most DedupeTTL: a platform's retry comes within seconds or minutes, and a
// channel rarely hears 1024 messages in ten minutes.
const (
	dedupeSize = 1024
	DedupeTTL  = 10 * time.Minute
)

type recentIDs struct {
	mu    sync.Mutex
	size  int
	ttl   time.Duration
	chans map[string]*idRing
}

// idRing is one channel's ids in arrival order (a ring of at most size
// entries) and the time each was last recorded.
type idRing struct {
	ring []seenID
	next int // where the next id goes once the ring is full
	at   map[string]time.Time
}

type seenID struct {
	id string
	at time.Time
}

func newRecentIDs(size int, ttl time.Duration) *recentIDs {
	return &recentIDs{size: size, ttl: ttl, chans: map[string]*idRing{}}
}

// seen reports whether channel reported id within the TTL; if not, it
// records id at now. Check and record are one step, so of two concurrent
// deliveries of one message exactly one is answered.
func (r *recentIDs) seen(channel, id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.chans[channel]
	if c == nil {
		c = &idRing{at: map[string]time.Time{}}
		r.chans[channel] = c
	}
	if at, ok := c.at[id]; ok && now.Sub(at) < r.ttl {
		return true
	}
	e := seenID{id: id, at: now}
	c.at[id] = now
	if len(c.ring) < r.size {
		c.ring = append(c.ring, e)
		return false
	}
	old := c.ring[c.next]
	// An expired id recorded again has a newer entry in the ring; only the
	// entry that set the map's time may remove it.
	if c.at[old.id].Equal(old.at) {
		delete(c.at, old.id)
	}
	c.ring[c.next] = e
	c.next = (c.next + 1) % r.size
	return false
}
