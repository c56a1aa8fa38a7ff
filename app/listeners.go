package app

import (
	"context"
	"sort"
	"time"

	"botgate/app/channel"
	"botgate/app/server"
)

// Channels whose connector keeps a connection to its platform
// (channel.Listener) hear chat messages through it while the server runs.
// app/server runs them; this file tells it which, after every reload.

// extraType finds name among Options.ExtraChannelTypes (a test's own
// platform), which come before the built-in types.
func (a *App) extraType(name string) (channel.Type, bool) {
	for _, t := range a.opts.ExtraChannelTypes {
		if t.Name == name {
			return t, true
		}
	}
	return channel.Type{}, false
}

// listenerSpecs are st's enabled, well-configured channels that listen. The
// live channel is the key: a reload keeps it when the channel's row did not
// change, so only a changed channel restarts.
func listenerSpecs(st *state) []server.ListenerSpec {
	var specs []server.ListenerSpec
	for name, lc := range st.channels {
		l, ok := lc.ch.(channel.Listener)
		if !ok || !lc.cfg.Enabled || lc.err != nil {
			continue
		}
		specs = append(specs, server.ListenerSpec{Channel: name, Listener: l, Key: lc})
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Channel < specs[j].Channel })
	return specs
}

// startListeners starts the listeners of the configuration in force, with
// the server's answerer. Under reloadMu, so that a reload running meanwhile
// syncs after this and not with an older configuration.
func (a *App) startListeners(ans *Chat) *server.Listeners {
	ls := server.NewListeners(ans, a.log, a.opts.Now)
	ls.OnConnected(a.channelConnected)
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.listeners.Store(ls)
	ls.Sync(listenerSpecs(a.state.Load()))
	return ls
}

// channelConnected runs when a channel's listener connects after it was not
// (a WebSocket made again after NapCat restarted): the channel's queued
// messages, which failed meanwhile and wait out their retry backoff (up to
// minutes), are made due and the dispatcher is woken, so they go now. A
// second pass a moment later catches the sends that failed just before the
// connection and whose outcome was recorded after the first.
func (a *App) channelConnected(name string) {
	for i, wait := range []time.Duration{0, time.Second} {
		time.Sleep(wait)
		if i > 0 && a.listeners.Load() == nil {
			return // the server stopped meanwhile
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := a.db.DueNow(ctx, name)
		cancel()
		if err != nil {
			a.log.Warn("could not bring the queued messages of a reconnected channel forward; they go at their next retry", "channel", name, "err", err)
			return
		}
		if n > 0 {
			a.log.Info("channel connected; its queued messages are sent now", "channel", name, "messages", n)
			a.disp.Resync() // their retry times changed in the table
		} else {
			a.disp.Wake()
		}
	}
}

// syncListeners follows a reload (called with reloadMu held).
func (a *App) syncListeners(st *state) {
	if ls := a.listeners.Load(); ls != nil {
		ls.Sync(listenerSpecs(st))
	}
}

// stopListeners cancels the listeners and waits for them until ctx ends.
func (a *App) stopListeners(ctx context.Context, ls *server.Listeners) {
	a.listeners.CompareAndSwap(ls, nil)
	ls.Stop(ctx)
}

// ListenerStates tells the window, for each running channel listener, whether
// it is connected to its platform and, if not, why. Empty while the server is
// stopped.
func (a *App) ListenerStates() map[string]channel.ListenerState {
	if ls := a.listeners.Load(); ls != nil {
		return ls.States()
	}
	return map[string]channel.ListenerState{}
}
