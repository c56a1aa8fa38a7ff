package chat

import (
	"testing"
	"time"
)

func TestRecentIDs_BoundedPerChannel(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	r := newRecentIDs(3, time.Minute)
	for _, id := range []string{"a", "b", "c", "d"} {
		if r.seen("qq", id, t0) {
			t.Fatalf("%s is new", id)
		}
	}
	// "a" fell out of the ring of 3 when "d" came; "a" is recorded again and
	// pushes out "b".
	for _, tt := range []struct {
		id   string
		want bool
	}{{"a", false}, {"c", true}, {"d", true}, {"a", true}, {"b", false}} {
		if got := r.seen("qq", tt.id, t0); got != tt.want {
			t.Fatalf("seen(%s) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if n := len(r.chans["qq"].at); n != 3 {
		t.Fatalf("%d ids remembered, want at most the ring's 3", n)
	}

	// An expired id recorded again survives the eviction of its old entry.
	r = newRecentIDs(2, time.Minute)
	r.seen("qq", "a", t0)
	t1 := t0.Add(2 * time.Minute)
	if r.seen("qq", "a", t1) {
		t.Fatal("a expired: new again")
	}
	r.seen("qq", "b", t1) // evicts a's first entry
	if !r.seen("qq", "a", t1.Add(time.Second)) {
		t.Fatal("a's second entry was forgotten with its first")
	}
}
