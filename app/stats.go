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
	// Hour buckets from cumulative counts: messages created since each boundary.
	s.HourlyStart = now.Truncate(time.Hour).Add(-23 * time.Hour)
	since := func(t time.Time) (int, error) {
		m, err := a.db.StatusCounts(ctx, t)
		n := 0
		for _, v := range m {
			n += v
		}
		return n, err
	}
	prev, err := since(s.HourlyStart)
	if err != nil {
		return s, err
	}
	for i := range 24 {
		next := 0
		if i < 23 {
			if next, err = since(s.HourlyStart.Add(time.Duration(i+1) * time.Hour)); err != nil {
				return s, err
			}
		}
		s.Hourly[i] = prev - next
		prev = next
	}
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
