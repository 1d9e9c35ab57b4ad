package night

import (
	"testing"
	"time"
)

// The default ceiling on requests in flight reaches the limit at the
// provider's worst latency: 2 a second for 90 s is 180 waiting at once.
func TestInFlightAllowsTheLimitAtWorstLatency(t *testing.T) {
	for _, c := range []struct {
		n               int
		window, timeout time.Duration
		want            int
	}{
		{120, time.Minute, 90 * time.Second, 181},
		{120, time.Minute, 45 * time.Second, 91},
		{120, 6 * time.Second, 9 * time.Second, 181},
		{1, time.Minute, time.Second, 2},
	} {
		if got := neededInFlight(c.n, c.window, c.timeout); got != c.want {
			t.Errorf("%d per %s, timeout %s: %d in flight, want %d", c.n, c.window, c.timeout, got, c.want)
		}
	}
}
