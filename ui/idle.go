package ui

import (
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
)

// Closed to the tray, the window is hidden but Fyne v2.7.1's loop still wakes
// 60 times a second to poll GLFW and walk the hidden window: about 2% of a
// core for nothing. While the window is hidden, an idler keeps a nap queued
// on that loop instead, so the loop turns about four times a second: between
// two naps it runs what was queued meanwhile, and Fyne's own tick (a poll of
// the OS) when its select picks the tick before the next nap.
const (
	// napHidden bounds how late a queued action (a tray menu click, a state
	// update, Quit) runs while the window is hidden.
	napHidden = 250 * time.Millisecond
	// napBusy is the loop's own pace (60 Hz), kept for busyNaps naps once the
	// admin is seen using the tray: what a click queued must not wait behind
	// another long nap, and a menu that opens must follow the mouse.
	napBusy  = time.Second / 60
	busyNaps = 60
	// busyGap: more time than this between two naps, or beyond a nap's
	// length, means the loop had real work (a menu, a click's action).
	busyGap = 10 * time.Millisecond
)

// idler parks Fyne's main loop while the window is hidden. Its methods run on
// the main goroutine only (the nap is queued there with fyne.Do), so its
// fields need no lock.
type idler struct {
	hidden func() bool
	// wait blocks the main goroutine for d, or less where the OS can wake it
	// (waitForEvents); an error means waiting there cannot work.
	wait func(d time.Duration) error
	// queue runs f on the main loop later, behind what is queued (fyne.Do).
	queue func(f func())
	now   func() time.Time
	log   *slog.Logger

	parked  bool      // a nap is queued or running
	queuing bool      // inside queue: a nap run now was not queued
	busy    int       // naps left at napBusy
	woke    time.Time // when the last nap ended
	broken  bool      // wait failed once: the loop keeps Fyne's pace from then on
}

// newWindowIdler is the idler for the real window. Only Run installs it:
// under Fyne's test driver there is no GLFW to wait in.
func newWindowIdler(hidden func() bool, log *slog.Logger) *idler {
	return &idler{hidden: hidden, wait: waitForEvents, queue: fyne.Do, now: time.Now, log: log}
}

// park starts the naps; call it on the main goroutine after hiding the
// window. A second call while they run does nothing.
func (p *idler) park() {
	if p.parked || p.broken {
		return
	}
	p.parked, p.busy, p.woke = true, 0, time.Time{}
	p.requeue()
}

// requeue queues the next nap. Once Fyne is quitting (its Quit clears
// "running" before the loop ends), fyne.Do on the main goroutine runs the
// function at once instead of queueing it: a nap run that way stops the
// chain, or each nap would call the next and the loop would never get back
// to its select to end.
func (p *idler) requeue() {
	p.queuing = true
	p.queue(p.nap)
	p.queuing = false
}

// nap waits once and queues the next nap, until the window is shown again.
func (p *idler) nap() {
	if p.queuing || !p.hidden() || p.broken {
		p.parked = false
		return
	}
	start := p.now()
	if !p.woke.IsZero() && start.Sub(p.woke) > busyGap {
		p.busy = busyNaps
	}
	d := napHidden
	if p.busy > 0 {
		d = napBusy
		p.busy--
	}
	if err := p.wait(d); err != nil {
		// Fyne's own 60 Hz loop goes on as before.
		p.broken, p.parked = true, false
		p.log.Warn("tray idle wait failed; the window loop keeps its normal pace", "err", err)
		return
	}
	p.woke = p.now()
	if el := p.woke.Sub(start); el < d*9/10 || el > d+busyGap {
		p.busy = busyNaps // an OS event woke it, or handling one took long
	}
	p.requeue()
}
