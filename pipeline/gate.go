package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"batch"
)

// Gate is one service's state, shared by every operation that spends it:
// whether it is stopped (a refusal that concerns every row), and whether it
// is down (most recent answers were transient failures). While it is down
// one probe goes out at growing intervals and every other attempt waits,
// spending neither requests nor its row's retries; the first good answer
// opens it again.
type Gate struct {
	// Name is the service's, for the events.
	Name string
	// Threshold is how many distinct keys answered with a transient
	// failure in a row take the service down (default 5). One key failing
	// again and again is that key's trouble, not an outage.
	Threshold int
	// FirstProbe is the wait before the first probe; it doubles after each
	// failed probe up to MaxProbe (default 1 minute).
	FirstProbe, MaxProbe time.Duration
	// GiveUp is how long an outage is waited out; after it the rows still
	// waiting are left PENDIENTE for the next run (default 30 minutes).
	GiveUp time.Duration
	// OnEvent, when set, hears the service go down, each probe's new
	// interval, and the end of a pause. It is called without the lock.
	OnEvent func(Event)
	// Silence, when set, is how long requests may stay out with no answer
	// coming back before no more are let out: a service that hangs is not
	// fed the whole limit until its timeouts say it is down. New attempts
	// wait until an answer comes back (slow, or a failure).
	Silence time.Duration

	mu        sync.Mutex
	stopped   *Stopped
	gaveUp    bool
	failing   map[string]bool // keys answered with a transient failure, in a row
	wide      map[string]bool // keys refused in a way that may concern every row, in a row
	down      bool
	pause     batch.Pause
	interval  time.Duration
	nextProbe time.Time
	probing   bool
	changed   chan struct{}
	pauses    []batch.Pause
	// out are the requests sent and not answered, with when each left;
	// answered is when the last answer came.
	out        map[*Pass]time.Time
	lastAnswer time.Time
	// up ends when the service goes down: attempts waiting for the pacer
	// leave it then, giving back their places, and wait at the gate.
	up     context.Context
	goDown context.CancelFunc
}

// Event is something a person watching the run should know.
type Event struct {
	Kind     EventKind
	Pause    batch.Pause   // the pause so far (or whole, at its end)
	Interval time.Duration // the time until the next probe
}

// EventKind is what happened to the service.
type EventKind int

const (
	EventDown   EventKind = iota // the service stopped answering
	EventProbe                   // a probe failed: the next one goes later
	EventUp                      // the service answers again
	EventGaveUp                  // the outage outlasted GiveUp
)

// errOutage is the wait of an attempt that outlasted GiveUp: its row is
// left for the next run.
var errOutage = errors.New("outage")

// wideStreak is how many distinct keys in a row refused in a way that may
// concern every row stop the service.
const wideStreak = 3

func (g *Gate) init() {
	if g.changed == nil {
		g.changed = make(chan struct{})
		g.wide = map[string]bool{}
		g.failing = map[string]bool{}
		g.out = map[*Pass]time.Time{}
		if g.Threshold <= 0 {
			g.Threshold = 5
		}
		if g.FirstProbe <= 0 {
			g.FirstProbe = 2 * time.Second
		}
		if g.MaxProbe <= 0 {
			g.MaxProbe = time.Minute
		}
		if g.GiveUp <= 0 {
			g.GiveUp = 30 * time.Minute
		}
		g.up, g.goDown = context.WithCancel(context.Background())
	}
}

// Stopped is the refusal that stopped the service, or nil.
func (g *Gate) Stopped() *Stopped {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stopped
}

// Stop closes the service for the rest of the run.
func (g *Gate) Stop(s *Stopped) {
	g.mu.Lock()
	g.init()
	if g.stopped == nil {
		g.stopped = s
	}
	g.broadcast()
	g.mu.Unlock()
}

// Pauses are the outages waited out so far, the one under way included.
func (g *Gate) Pauses() []batch.Pause {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := append([]batch.Pause(nil), g.pauses...)
	if g.down {
		out = append(out, g.pause)
	}
	return out
}

// Pass is one attempt let in by Enter, as the pacer's Ticket is one send:
// its methods say what became of the attempt. A nil Gate hands out passes
// that let everything through.
type Pass struct {
	g *Gate
	// Probe marks the one attempt let out while the service is down.
	Probe bool
}

// Enter waits until an attempt may go out: at once while the service is
// up; while it is down, as the next probe. It fails when the service was
// stopped, the outage outlasted GiveUp, or ctx ended.
func (g *Gate) Enter(ctx context.Context) (*Pass, error) {
	probe, err := g.enter(ctx)
	if err != nil {
		return nil, err
	}
	return &Pass{g: g, Probe: probe}, nil
}

func (g *Gate) enter(ctx context.Context) (probe bool, err error) {
	if g == nil {
		return false, ctx.Err()
	}
	g.mu.Lock()
	g.init()
	for {
		now := time.Now()
		switch {
		case g.stopped != nil:
			g.mu.Unlock()
			return false, g.stopped
		case ctx.Err() != nil:
			g.mu.Unlock()
			return false, ctx.Err()
		case g.gaveUp:
			g.mu.Unlock()
			return false, errOutage
		case !g.down && !g.stalled(now):
			g.mu.Unlock()
			return false, nil
		case !g.down:
			// Requests are out and nothing comes back: wait for an
			// answer, or for the silence's end to be noticed again.
			changed := g.changed
			g.mu.Unlock()
			select {
			case <-changed:
			case <-ctx.Done():
			}
			g.mu.Lock()
			continue
		case now.Sub(g.pause.Start) >= g.GiveUp:
			ev := g.giveUp(now)
			g.mu.Unlock()
			g.emit(ev)
			return false, errOutage
		case !g.probing && !now.Before(g.nextProbe):
			g.probing = true
			g.pause.Probes++
			g.mu.Unlock()
			return true, nil
		}
		wake := g.pause.Start.Add(g.GiveUp)
		if !g.probing && g.nextProbe.Before(wake) {
			wake = g.nextProbe
		}
		changed := g.changed
		g.mu.Unlock()
		t := time.NewTimer(max(time.Until(wake), 0))
		select {
		case <-t.C:
		case <-changed:
		case <-ctx.Done():
		}
		t.Stop()
		g.mu.Lock()
	}
}

// WhileUp is ctx, ended also when the service goes down, for an attempt
// that is not the probe to wait for the pacer with.
func (p *Pass) WhileUp(ctx context.Context) (context.Context, context.CancelFunc) {
	g := p.g
	if g == nil || p.Probe {
		return ctx, func() {}
	}
	g.mu.Lock()
	g.init()
	up := g.up
	g.mu.Unlock()
	c, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(up, cancel)
	return c, func() { stop(); cancel() }
}

// Open reports whether the attempt may still go out: the service may have
// gone down while it waited for the pacer, and only the probe goes then.
func (p *Pass) Open() bool {
	g := p.g
	if g == nil || p.Probe {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.down && g.stopped == nil && !g.gaveUp && !g.stalled(time.Now())
}

// Sent hears that the attempt's request left.
func (p *Pass) Sent() {
	g := p.g
	if g == nil {
		return
	}
	g.mu.Lock()
	g.init()
	g.out[p] = time.Now()
	g.mu.Unlock()
}

// stalled reports whether requests have been out for Silence with no
// answer coming back meanwhile.
func (g *Gate) stalled(now time.Time) bool {
	if g.Silence <= 0 || len(g.out) == 0 {
		return false
	}
	oldest := now
	for _, at := range g.out {
		if at.Before(oldest) {
			oldest = at
		}
	}
	since := oldest
	if g.lastAnswer.After(since) {
		since = g.lastAnswer
	}
	return now.Sub(since) >= g.Silence
}

// Cancel gives back an attempt that was not sent: a probe lets the next
// one go.
func (p *Pass) Cancel() {
	g := p.g
	if g == nil || !p.Probe {
		return
	}
	g.mu.Lock()
	g.probing = false
	g.pause.Probes--
	g.broadcast()
	g.mu.Unlock()
}

// Done hears the attempt's answer for key. down reports whether the
// service is down after it, so that the attempt does not spend its row's
// retries. A refusal that may concern every row stops the service when it
// comes for wideStreak distinct keys in a row.
func (p *Pass) Done(key string, ans batch.Answer) (down bool) {
	g, probe := p.g, p.Probe
	if g == nil {
		return false
	}
	g.mu.Lock()
	g.init()
	if probe {
		g.probing = false
	}
	delete(g.out, p)
	g.lastAnswer = time.Now()
	var ev *Event
	switch {
	case ans.Class == batch.ClassTransient:
		g.failing[key] = true
		ev = g.failed(probe)
	case ans.Class == batch.ClassRateLimited:
		// Busy, not down: the pacer and Retry-After deal with it.
	default:
		clear(g.failing)
		ev = g.answered(key, ans)
	}
	down = g.down
	g.broadcast()
	g.mu.Unlock()
	g.emit(ev)
	return down
}

// failed counts a transient answer: the service goes down at Threshold,
// and a failed probe puts the next one twice as far.
func (g *Gate) failed(probe bool) *Event {
	now := time.Now()
	switch {
	case !g.down && len(g.failing) >= g.Threshold:
		g.down, g.pause = true, batch.Pause{Service: g.Name, Start: now}
		g.goDown()
		g.interval = g.FirstProbe
		g.nextProbe = now.Add(g.interval)
		return &Event{Kind: EventDown, Pause: g.pause, Interval: g.interval}
	case g.down && probe:
		g.interval = min(2*g.interval, g.MaxProbe)
		g.nextProbe = now.Add(g.interval)
		return &Event{Kind: EventProbe, Pause: g.pause, Interval: g.interval}
	}
	return nil
}

// answered hears an answer that shows the service at work: it opens the
// gate, and extends or breaks the streak of wide refusals.
func (g *Gate) answered(key string, ans batch.Answer) *Event {
	var ev *Event
	if g.down {
		g.down = false
		g.up, g.goDown = context.WithCancel(context.Background())
		g.pause.End, g.pause.Recovered = time.Now(), true
		g.pauses = append(g.pauses, g.pause)
		ev = &Event{Kind: EventUp, Pause: g.pause}
	}
	if !ans.Wide {
		clear(g.wide)
		return ev
	}
	g.wide[key] = true
	if len(g.wide) >= wideStreak && g.stopped == nil {
		g.stopped = &Stopped{Reason: ans.Message, Kind: ans.Kind}
	}
	return ev
}

// Hold takes the service down until until, as an outage: the provider
// asked to wait longer than an attempt should.
func (g *Gate) Hold(until time.Time) {
	g.mu.Lock()
	g.init()
	var ev *Event
	if !g.down {
		g.down, g.pause = true, batch.Pause{Service: g.Name, Start: time.Now()}
		g.goDown()
		g.interval = g.FirstProbe
		ev = &Event{Kind: EventDown, Pause: g.pause, Interval: time.Until(until)}
	}
	if until.After(g.nextProbe) {
		g.nextProbe = until
	}
	g.broadcast()
	g.mu.Unlock()
	g.emit(ev)
}

func (g *Gate) giveUp(now time.Time) *Event {
	if !g.down {
		return nil
	}
	g.down, g.gaveUp = false, true
	g.pause.End = now
	g.pauses = append(g.pauses, g.pause)
	g.broadcast()
	return &Event{Kind: EventGaveUp, Pause: g.pause}
}

func (g *Gate) emit(ev *Event) {
	if ev != nil && g.OnEvent != nil {
		g.OnEvent(*ev)
	}
}

func (g *Gate) broadcast() {
	close(g.changed)
	g.changed = make(chan struct{})
}
