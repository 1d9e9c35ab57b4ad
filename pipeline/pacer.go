package pipeline

import (
	"time"

	"golang.org/x/time/rate"
)

// windowMargin is added to the provider's minute so that a server counting
// a strict sliding window (at most N requests in any 60 s) never sees N+1
// when network or scheduling jitter brings two of our requests closer than
// we sent them. 0.75 s of tolerance costs 1.2% of the limit.
const windowMargin = 750 * time.Millisecond

// NewPacer returns the limiter for one token's limit of perMinute requests.
// Its burst is 1: after an idle moment it does not let a burst through,
// which a sliding-window server would count against the next minute.
func NewPacer(perMinute int) *rate.Limiter {
	return rate.NewLimiter(rate.Every((time.Minute+windowMargin)/time.Duration(perMinute)), 1)
}
