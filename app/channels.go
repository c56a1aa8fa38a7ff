package app

import (
	"botgate/model"

	"golang.org/x/time/rate"

	"botgate/app/channel"
	"botgate/app/channel/registry"
)

// ChannelTypes lists every connector type BotGate knows, in the order the GUI shows them.
func ChannelTypes() []channel.Type { return registry.Types() }

// channelType finds a connector type by its config name.
func channelType(name string) (channel.Type, bool) { return registry.Lookup(name) }

// connectorDeps are what every connector this App builds shares.
func (a *App) connectorDeps() channel.Deps {
	return channel.Deps{HTTP: a.opts.HTTPClient, Now: a.opts.Now, Log: a.log}
}

// buildChannel makes the live form of a saved channel: its connector (or
// why there is none) and the rate limiter its sends wait for.
func (a *App) buildChannel(c model.Channel) *liveChannel {
	lc := &liveChannel{cfg: c}
	var t channel.Type
	lc.ch, t, lc.err = registry.New(c, a.connectorDeps())
	perMin := c.RatePerMinute
	if perMin == 0 {
		perMin = t.RatePerMinute
	}
	if perMin > 0 {
		// Burst of a few lets a short flurry through, then the platform's pace holds.
		lc.limiter = rate.NewLimiter(rate.Limit(float64(perMin)/60), min(perMin, 5))
	}
	return lc
}
