package ops

import (
	"testing"
	"time"
)

// The lists kept under way follow from the limit and the answers' observed
// time (Little's law, with a margin), within MaxTenedorRequests: at 120 a
// minute and 60 s answers, about 180; at 120 per 6 s and 6 s answers, the
// same; with quick answers, a handful; never more than the bound.
func TestListsInFlightFollowTheLimitAndTheAnswers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		n       int
		window  time.Duration
		answers []time.Duration
		want    int
	}{
		{120, time.Minute, []time.Duration{60 * time.Second}, 182},
		{120, 6 * time.Second, []time.Duration{6 * time.Second}, 182},
		{120, time.Minute, []time.Duration{time.Second}, 5},
		{1200, time.Minute, []time.Duration{60 * time.Second}, MaxTenedorRequests},
		{120, time.Minute, []time.Duration{time.Second, 60 * time.Second}, 59}, // smoothed: 0.7×1 s + 0.3×60 s = 18.7 s
	} {
		tn := newTenedor(nil, false)
		tn.Pace(nil, c.n, c.window)
		if got := tn.ceiling(); got != MaxTenedorRequests {
			t.Errorf("before any answer: %d", got)
		}
		for _, d := range c.answers {
			tn.observe(d)
		}
		if got := tn.ceiling(); got != c.want {
			t.Errorf("%d per %s, answers %v: %d lists under way, want %d", c.n, c.window, c.answers, got, c.want)
		}
	}
}
