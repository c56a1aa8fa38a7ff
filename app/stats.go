package app

import (
	"context"
	"time"

	"botgate/model"
)

// Stats are the 服务 tab's numbers.
type Stats struct {
	Sent, Failed, Pending int // messages created today, by outcome
	Queries, Refused      int // API requests today: keyword runs, refused credentials or permissions
	RequestsCapped        bool
	Hourly                [24]int // messages created per hour, oldest first; the last is the current hour
	HourlyStart           time.Time
}

// statsRequestCap bounds how many request log rows the counts read, so the
// window stays quick on a busy day; Stats says when it was reached.
const statsRequestCap = 1000

// Stats counts today's messages and requests and the last 24 hours of messages.
func (a *App) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	now := a.opts.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	m, err := a.db.StatusCounts(ctx, today)
	if err != nil {
		return s, err
	}
	s.Sent, s.Failed = m[model.StatusDelivered], m[model.StatusFailed]
	s.Pending = m[model.StatusQueued] + m[model.StatusSending]
	s.HourlyStart = now.Truncate(time.Hour).Add(-23 * time.Hour)
	hourly, err := a.db.HourlyCounts(ctx, s.HourlyStart, len(s.Hourly))
	if err != nil {
		return s, err
	}
	copy(s.Hourly[:], hourly)
	logs, err := a.db.RequestLogs(ctx, "", statsRequestCap)
	if err != nil {
		return s, err
	}
	for _, l := range logs {
		if l.At.Before(today) {
			continue
		}
		if l.Keyword != "" {
			s.Queries++
		}
		switch l.Errcode {
		case model.CodeUnauthorized, model.CodeThrottled, model.CodeForbidden:
			s.Refused++
		}
	}
	s.RequestsCapped = len(logs) == statsRequestCap && !logs[len(logs)-1].At.Before(today)
	return s, nil
}
