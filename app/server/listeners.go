package server

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"botgate/app/channel"
)

// ListenerSpec is one enabled channel whose connector keeps a connection to
// its platform (channel.Listener).
type ListenerSpec struct {
	Channel  string
	Listener channel.Listener
	// Key identifies the channel's configuration: a spec with another Key
	// for the same channel restarts its listener. It must be comparable.
	Key any
}

// Listeners runs the listeners of a running server, one goroutine each,
// handing what they hear to one answerer and keeping the state each reports
// for the window.
type Listeners struct {
	ans channel.Answerer
	log *slog.Logger
	now func() time.Time

	mu        sync.Mutex
	stopped   bool
	runs      map[string]*listenerRun
	states    map[string]channel.ListenerState
	connected func(channel string)
}

// listenerRun is one Listen call of one channel.
type listenerRun struct {
	key    any
	cancel context.CancelFunc
	done   chan struct{} // closed when Listen returned (or never started)
}

// NewListeners returns a supervisor with nothing running; Sync starts them.
func NewListeners(ans channel.Answerer, log *slog.Logger, now func() time.Time) *Listeners {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &Listeners{ans: ans, log: log, now: now, runs: map[string]*listenerRun{}, states: map[string]channel.ListenerState{}}
}

// OnConnected makes fn run, on a goroutine of its own, each time a channel's
// listener reports that it connected after it was not: app sends the
// channel's queued messages then instead of at their next retry.
func (ls *Listeners) OnConnected(fn func(channel string)) {
	ls.mu.Lock()
	ls.connected = fn
	ls.mu.Unlock()
}

// connecting is the state of a listener that has not reported yet.
const connecting = "正在连接…"

// Sync makes the running listeners match specs: it starts the new ones,
// restarts those whose Key changed and stops those no longer listed. It
// never waits: a replaced listener is cancelled and its successor starts
// once it returned, so two connections of one channel never overlap. After
// Stop it does nothing.
func (ls *Listeners) Sync(specs []ListenerSpec) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.stopped {
		return
	}
	want := map[string]bool{}
	for _, sp := range specs {
		want[sp.Channel] = true
		old := ls.runs[sp.Channel]
		if old != nil && old.key == sp.Key {
			continue
		}
		if old != nil {
			old.cancel()
			ls.log.Info("channel changed; restarting its listener", "channel", sp.Channel)
		}
		ls.runs[sp.Channel] = ls.start(sp, old)
		ls.states[sp.Channel] = channel.ListenerState{Err: connecting, Since: ls.now()}
	}
	for name, r := range ls.runs {
		if !want[name] {
			r.cancel()
			delete(ls.runs, name)
			delete(ls.states, name)
			ls.log.Info("channel removed or disabled; its listener stops", "channel", name)
		}
	}
}

// start runs sp's listener after prev (if any) returned. Called with mu held.
func (ls *Listeners) start(sp ListenerSpec, prev *listenerRun) *listenerRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &listenerRun{key: sp.Key, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if prev != nil {
			select {
			case <-prev.done:
			case <-ctx.Done():
				return
			}
		}
		ls.listen(ctx, sp, r)
	}()
	return r
}

// listen is one Listen call. Listen reconnects by itself until ctx ends, so
// one that returns earlier has a problem that only a configuration change (or
// a restart) can fix: its state says so until then.
func (ls *Listeners) listen(ctx context.Context, sp ListenerSpec, r *listenerRun) {
	in := &inbox{ls: ls, name: sp.Channel, run: r}
	defer func() {
		if p := recover(); p != nil {
			ls.log.Error("channel listener panicked", "channel", sp.Channel, "panic", p)
			in.SetState(channel.ListenerState{Err: fmt.Sprintf("接收消息的连接出错停止了（%v）；修改通道配置或重启服务后会重新连接", p)})
		}
	}()
	err := sp.Listener.Listen(ctx, in)
	if ctx.Err() != nil {
		return
	}
	ls.log.Warn("channel listener stopped by itself", "channel", sp.Channel, "err", err)
	why := "连接意外结束"
	if err != nil {
		why = channel.Describe(err)
	}
	in.SetState(channel.ListenerState{Err: "接收消息的连接已停止：" + why + "；修改通道配置或重启服务后会重新连接"})
}

// Stop cancels every listener and waits, until ctx ends, for them to return.
func (ls *Listeners) Stop(ctx context.Context) {
	ls.mu.Lock()
	ls.stopped = true
	runs := maps.Clone(ls.runs)
	clear(ls.runs)
	clear(ls.states)
	ls.mu.Unlock()
	for _, r := range runs {
		r.cancel()
	}
	for name, r := range runs {
		select {
		case <-r.done:
		case <-ctx.Done():
			ls.log.Warn("channel listener did not stop in time", "channel", name)
		}
	}
}

// States is the last state each running listener reported, by channel name.
func (ls *Listeners) States() map[string]channel.ListenerState {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return maps.Clone(ls.states)
}

// inbox is what one Listen call gets: the answerer, bound to its channel,
// and the state recorder.
type inbox struct {
	ls   *Listeners
	name string
	run  *listenerRun
}

// Answer hands m to the answerer as a message of this listener's channel,
// whatever the connector put in m.Channel: rate limits, de-duplication and
// late answers go by it.
func (in *inbox) Answer(ctx context.Context, m channel.Incoming) channel.Answer {
	m.Channel = in.name
	return in.ls.ans.Answer(ctx, m)
}

// SetState records st unless this listener was replaced or stopped since.
// Since is kept while the state stays the same, and set to now when it changes.
func (in *inbox) SetState(st channel.ListenerState) {
	ls := in.ls
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.runs[in.name] != in.run {
		return
	}
	prev, had := ls.states[in.name]
	if st.Since.IsZero() {
		st.Since = ls.now()
		if had && prev.Connected == st.Connected && prev.Err == st.Err {
			st.Since = prev.Since
		}
	}
	ls.states[in.name] = st
	if st.Connected && !prev.Connected && ls.connected != nil {
		go ls.connected(in.name)
	}
}
