package pipeline

import (
	"time"

	"golang.org/x/time/rate"
)

// marginDivisor sets the margin added to the provider's window, 1/80 of it
// (0.75 s a minute), so that a server counting a strict sliding window (at
// most N requests in any 60 s) never sees N+1 when network or scheduling
// jitter brings two of our requests closer than we sent them. It costs
// 1.2% of the limit.
const marginDivisor = 80

// NewPacer returns the limiter for one token's limit of perMinute requests.
// Its burst is 1: after an idle moment it does not let a burst through,
// which a sliding-window server would count against the next minute.
func NewPacer(perMinute int) *rate.Limiter {
	return NewWindowPacer(perMinute, time.Minute)
}

// NewWindowPacer is NewPacer for a limit of n requests in any window, with
// the same margin in proportion (1.25%). Benchmarks use it to scale time.
func NewWindowPacer(n int, window time.Duration) *rate.Limiter {
	return rate.NewLimiter(rate.Every(interval(n, window)), 1)
}

// Interval is the time between two requests at perMinute.
func Interval(perMinute int) time.Duration { return interval(perMinute, time.Minute) }

func interval(n int, window time.Duration) time.Duration {
	return (window + window/marginDivisor) / time.Duration(n)
}
