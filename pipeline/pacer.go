package pipeline

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// marginDivisor sets the margin added to the provider's window, 1/60 of it
// (1 s a minute), so that a server counting a strict sliding window (at
// most N requests in any 60 s) never sees N+1 when the network or a pause
// of its own brings two of our requests closer than we sent them. It costs
// 1.6% of the limit. (Pauses of 220 ms were measured on a busy 2-CPU VM.)
const marginDivisor = 60

// Interval is the time between two requests at n per window.
func Interval(n int, window time.Duration) time.Duration {
	return (window + window/marginDivisor) / time.Duration(n)
}

// catchUpDivisor sets how much time lost to a pause the pacer makes up:
// n/10 requests (6 s at 120 a minute), sent as soon as they can go when
// the process comes back from a pause (a garbage collection, a busy CPU, a
// slow disk).
const catchUpDivisor = 10

// WindowPacer keeps one token's requests within the provider's limit of n
// in any sliding window. Two gates:
//
//   - an x/time/rate limiter spaces requests evenly at n per window and
//     the margin, with a burst of n/10: a request that could not go at its
//     time (the process was paused) is made up as soon as it can go, up to
//     that many, instead of being lost for good;
//   - a log of when the last n requests actually went out, which decides:
//     a request goes only when fewer than n went out in the last window
//     and the margin. The burst can never put n+1 in the server's window,
//     and a request that left late (the journal's fsync, a busy CPU) is
//     followed by the next n-th one at least a window later.
type WindowPacer struct {
	limiter *rate.Limiter
	// turn lets one request at a time wait for the limiter, the others
	// queue here in order: a request that gives up waiting (its run, or
	// its service, stopped) leaves no reservation behind that would delay
	// the ones after it.
	turn   chan struct{}
	begun  bool // the first request was asked for (under turn)
	n      int
	window time.Duration // the provider's window plus the margin

	mu      sync.Mutex
	sent    []time.Time // send times of the last n requests, oldest first
	granted int         // requests let through, not yet sent or cancelled
	total   int         // requests sent
	changed chan struct{}
}

// SentCount is how many requests went out through the pacer.
func (p *WindowPacer) SentCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// NewPacer returns the pacer for one token's limit of perMinute requests.
func NewPacer(perMinute int) *WindowPacer { return NewWindowPacer(perMinute, time.Minute) }

// NewWindowPacer is NewPacer for a limit of n requests in any window, with
// the same margin in proportion (1/60). Benchmarks use it to scale time.
func NewWindowPacer(n int, window time.Duration) *WindowPacer {
	return &WindowPacer{
		limiter: rate.NewLimiter(rate.Every(Interval(n, window)), max(1, n/catchUpDivisor)),
		turn:    make(chan struct{}, 1),
		n:       n,
		window:  window + window/marginDivisor,
		changed: make(chan struct{}),
	}
}

// Ticket is one request let through by a pacer: Sent as it goes out, or
// Cancel if it will not be sent.
type Ticket interface {
	Sent()
	Cancel()
}

// Wait blocks until one more request may go out.
func (p *WindowPacer) Wait(ctx context.Context) (Ticket, error) {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.turn }()
	p.begin(time.Now())
	if err := p.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	for {
		p.mu.Lock()
		now := time.Now()
		free, oldest := p.admit(now)
		if free {
			p.granted++
			p.mu.Unlock()
			return &ticket{p: p}, nil
		}
		// Full: wait for the oldest send to leave the window, or for a
		// granted request to go out or be cancelled.
		changed := p.changed
		p.mu.Unlock()
		var (
			timer *time.Timer
			wait  <-chan time.Time
		)
		if !oldest.IsZero() {
			timer = time.NewTimer(oldest.Add(p.window).Sub(now))
			wait = timer.C
		}
		select {
		case <-wait:
		case <-changed:
		case <-ctx.Done():
		}
		if timer != nil {
			timer.Stop()
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// begin empties the limiter of all but one request's worth the first time
// the pacer is asked: the burst is for time lost to a pause, not a head
// start from the time the night spent before its first request.
func (p *WindowPacer) begin(now time.Time) {
	if p.begun {
		return
	}
	p.begun = true
	if extra := int(p.limiter.TokensAt(now)) - 1; extra > 0 {
		p.limiter.ReserveN(now, extra)
	}
}

// admit reports whether one more request fits in the window ending at now,
// counting those let through and not yet sent as sent now. When it does
// not, oldest is the send whose leaving the window frees a place (zero if
// only requests not yet sent fill it).
func (p *WindowPacer) admit(now time.Time) (free bool, oldest time.Time) {
	inWindow := p.granted
	for _, t := range p.sent {
		if now.Sub(t) < p.window {
			if oldest.IsZero() {
				oldest = t
			}
			inWindow++
		}
	}
	return inWindow < p.n, oldest
}

func (p *WindowPacer) settle(sentAt time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.granted--
	if !sentAt.IsZero() {
		p.total++
		p.sent = append(p.sent, sentAt)
		if len(p.sent) > p.n {
			p.sent = append(p.sent[:0], p.sent[len(p.sent)-p.n:]...)
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

type ticket struct {
	p    *WindowPacer
	once sync.Once
}

func (t *ticket) Sent()   { t.once.Do(func() { t.p.settle(time.Now()) }) }
func (t *ticket) Cancel() { t.once.Do(func() { t.p.settle(time.Time{}) }) }

// noTicket is the ticket of an operation without a pacer.
type noTicket struct{}

func (noTicket) Sent()   {}
func (noTicket) Cancel() {}

// Unpaced lets every request out at once: for an operation that paces its
// own requests, each of which carries many keys.
var Unpaced Pacer = unpaced{}

type unpaced struct{}

func (unpaced) Wait(ctx context.Context) (Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return noTicket{}, nil
}
