package pipeline

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// Requests sent as fast as the pacer allows, each arriving with up to
// ±350 ms of jitter (0.7 s between two), never put 121 in any 60 s window,
// and still use at least 98% of the limit.
func TestPacerKeepsStrictSlidingWindow(t *testing.T) {
	const perMinute, sends = 120, 1200
	p := NewPacer(perMinute)
	start := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	now := start
	rng := rand.New(rand.NewPCG(1, 2))
	arrivals := make([]time.Time, 0, sends)
	for i := 0; i < sends; i++ {
		r := p.ReserveN(now, 1)
		now = now.Add(r.DelayFrom(now))
		jitter := time.Duration(rng.Int64N(int64(700*time.Millisecond))) - 350*time.Millisecond
		arrivals = append(arrivals, now.Add(jitter))
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	for i := range arrivals {
		j := sort.Search(len(arrivals), func(k int) bool { return !arrivals[k].Before(arrivals[i].Add(time.Minute)) })
		if n := j - i; n > perMinute {
			t.Fatalf("%d requests arrived within 60 s of %s", n, arrivals[i].Sub(start))
		}
	}
	elapsed := now.Sub(start)
	achieved := float64(sends-1) / elapsed.Minutes()
	if ratio := achieved / perMinute; ratio < 0.98 {
		t.Errorf("achieved %.1f per minute, %.3f of the limit; want at least 0.98", achieved, ratio)
	}
}
