package pipeline

import (
	"context"
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
		now = p.sendAt(now)
		jitter := time.Duration(rng.Int64N(int64(700*time.Millisecond))) - 350*time.Millisecond
		arrivals = append(arrivals, now.Add(jitter))
	}
	assertMinutes(t, arrivals, perMinute, start)
	elapsed := now.Sub(start)
	achieved := float64(sends-1) / elapsed.Minutes()
	if ratio := achieved / perMinute; ratio < 0.98 {
		t.Errorf("achieved %.1f per minute, %.3f of the limit; want at least 0.98", achieved, ratio)
	}
}

// A request that left late holds back the one n places after it: the log
// of send times keeps the window even when the even spacing did not.
func TestPacerWindowLogHoldsBackAfterALateSend(t *testing.T) {
	p := NewWindowPacer(3, time.Second) // a window of 1.0167 s with the margin
	t0 := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, ms := range []int{0, 340, 900} { // the third left 225 ms late
		if free, _ := p.admit(at(ms)); !free {
			t.Fatalf("send at %d ms refused", ms)
		}
		p.granted++
		p.settle(at(ms))
	}
	if free, oldest := p.admit(at(1000)); free || !oldest.Equal(at(0)) {
		t.Errorf("at 1000 ms: free %v, oldest %v; want full until the send at 0 leaves", free, oldest.Sub(t0))
	}
	if free, _ := p.admit(at(1017)); !free {
		t.Error("at 1017 ms the send at 0 has left the window, yet the pacer is full")
	}
	// Let through, not yet sent: it counts as sent now.
	p.granted++
	if free, _ := p.admit(at(1017)); free {
		t.Error("a request let through and not yet sent was not counted")
	}
	p.settle(time.Time{}) // cancelled
	if free, _ := p.admit(at(1017)); !free || p.granted != 0 {
		t.Errorf("a cancelled request still holds its place (granted %d)", p.granted)
	}
}

// Through Wait, with real time: requests that report their sends late
// never put n+1 in any window of the log.
func TestPacerWaitKeepsWindowOfActualSends(t *testing.T) {
	const n = 5
	window := 200 * time.Millisecond
	p := NewWindowPacer(n, window)
	var sends []time.Time
	for i := 0; i < 3*n; i++ {
		tk, err := p.Wait(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 || i == n+2 {
			// Late: the journal's fsync took a while.
			late := time.Now().Add(30 * time.Millisecond)
			for time.Now().Before(late) {
			}
		}
		sends = append(sends, time.Now())
		tk.Sent()
	}
	for i := n; i < len(sends); i++ {
		if d := sends[i].Sub(sends[i-n]); d < window {
			t.Errorf("sends %d and %d are %s apart, within the %s window", i-n, i, d, window)
		}
	}
}

// sendAt is when the pacer lets the next request go if asked at now, and
// records it as sent then: the two gates of Wait, on a clock the test
// keeps.
func (p *WindowPacer) sendAt(now time.Time) time.Time {
	p.begin(now)
	r := p.limiter.ReserveN(now, 1)
	now = now.Add(r.DelayFrom(now))
	for {
		free, oldest := p.admit(now)
		if free {
			break
		}
		now = oldest.Add(p.window)
	}
	p.granted++
	p.settle(now)
	return now
}

// A process that is paused now and then (a busy machine: every 40th
// request it loses 2 s) makes the pauses up: at least 0.98 of the limit
// over twenty minutes, and still never 121 arrivals in any 60 s, with
// ±350 ms of network jitter. With the even spacing alone (a burst of 1)
// each pause was lost for good: 0.92 of the limit.
func TestPacerMakesUpPauses(t *testing.T) {
	const perMinute, sends = 120, 2400
	p := NewPacer(perMinute)
	start := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	now := start
	rng := rand.New(rand.NewPCG(3, 4))
	arrivals := make([]time.Time, 0, sends)
	for i := 0; i < sends; i++ {
		if i%40 == 39 {
			now = now.Add(2 * time.Second)
		}
		now = p.sendAt(now)
		jitter := time.Duration(rng.Int64N(int64(700*time.Millisecond))) - 350*time.Millisecond
		arrivals = append(arrivals, now.Add(jitter))
	}
	assertMinutes(t, arrivals, perMinute, start)
	ratio := float64(sends-1) / now.Sub(start).Minutes() / perMinute
	if ratio < 0.98 {
		t.Errorf("with a 2 s pause every 40 requests the pacer reached %.4f of the limit; want at least 0.98", ratio)
	}
	t.Logf("%.4f of the limit", ratio)
}

// The burst is for time lost, not a head start: a pacer first asked long
// after it was made (the night read its files first) spaces its first
// requests evenly.
func TestPacerBurstIsNoHeadStart(t *testing.T) {
	p := NewPacer(120)
	now := time.Now().Add(30 * time.Second)
	first := p.sendAt(now)
	prev := first
	for i := 1; i < 10; i++ {
		at := p.sendAt(prev)
		if gap := at.Sub(prev); gap < Interval(120, time.Minute)-time.Millisecond {
			t.Fatalf("request %d went %s after the one before; want the even spacing, %s", i, gap, Interval(120, time.Minute))
		}
		prev = at
	}
}

// assertMinutes fails when more than perMinute arrivals fall within any
// 60 s.
func assertMinutes(t *testing.T, arrivals []time.Time, perMinute int, start time.Time) {
	t.Helper()
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	for i := range arrivals {
		j := sort.Search(len(arrivals), func(k int) bool { return !arrivals[k].Before(arrivals[i].Add(time.Minute)) })
		if n := j - i; n > perMinute {
			t.Fatalf("%d requests arrived within 60 s of %s", n, arrivals[i].Sub(start))
		}
	}
}

// A run told to stop starts nothing more, even when the pacer has room:
// its Wait looks at the context before anything else.
func TestStoppedRunGetsNoLeave(t *testing.T) {
	p := NewWindowPacer(600000, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ticket, ok := wait(ctx, p); ok {
		ticket.Sent()
		t.Fatal("a stopped run got the pacer's leave")
	}
	if n := p.SentCount(); n != 0 {
		t.Errorf("the pacer counts %d sent", n)
	}
	if _, ok := wait(context.Background(), p); !ok {
		t.Error("a running run got no leave")
	}
}
