package pipeline

import (
	"context"
	"fmt"
	"testing"
	"time"

	"batch"
)

var (
	transient = batch.Answer{Class: batch.ClassTransient}
	good      = batch.Answer{Class: batch.ClassOK}
	wide      = batch.Answer{Class: batch.ClassRejected, Wide: true, Message: "409"}
)

// One key failing again and again is not an outage; five keys in a row
// are. While down only the probe goes, and the first good answer opens
// the gate again.
func TestGateDownProbeUp(t *testing.T) {
	var events []EventKind
	g := &Gate{Name: "X", FirstProbe: 20 * time.Millisecond, OnEvent: func(e Event) { events = append(events, e.Kind) }}
	for i := 0; i < 10; i++ {
		if answer(t, g, "k", transient) {
			t.Fatal("one key's failures took the service down")
		}
	}
	for i := 0; i < 5; i++ {
		answer(t, g, fmt.Sprint("k", i), transient)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := g.Enter(ctx); err == nil {
		t.Fatal("an attempt went in while the service was down, before the probe's time")
	}
	probe, err := g.Enter(context.Background())
	if err != nil || !probe.Probe {
		t.Fatalf("probe %+v, %v", probe, err)
	}
	if !probe.Open() || (&Pass{g: g}).Open() {
		t.Error("while down, only the probe is open")
	}
	if probe.Done("k9", good) {
		t.Error("still down after a good answer")
	}
	if pass, err := g.Enter(context.Background()); err != nil || pass.Probe {
		t.Errorf("after recovery: probe %+v, %v", pass, err)
	}
	if p := g.Pauses(); len(p) != 1 || p[0].Probes != 1 || !p[0].Recovered {
		t.Errorf("pauses %+v", p)
	}
	if fmt.Sprint(events) != fmt.Sprint([]EventKind{EventDown, EventUp}) {
		t.Errorf("events %v", events)
	}
}

// A wide refusal stops the service on the third distinct key in a row;
// any ordinary answer between breaks the streak.
func TestGateStopsOnThreeWideRefusalsInARow(t *testing.T) {
	g := &Gate{}
	answer(t, g, "a", wide)
	answer(t, g, "a", wide)
	answer(t, g, "b", wide)
	answer(t, g, "c", good)
	answer(t, g, "d", wide)
	answer(t, g, "e", wide)
	if g.Stopped() != nil {
		t.Fatal("stopped with successes between and a repeated key")
	}
	answer(t, g, "f", wide)
	if s := g.Stopped(); s == nil || s.Reason != "409" {
		t.Fatalf("not stopped after d, e, f: %v", s)
	}
	if _, err := g.Enter(context.Background()); err == nil {
		t.Error("a stopped service let an attempt in")
	}
}

// An outage longer than GiveUp leaves the waiting attempts to the next run.
func TestGateGivesUp(t *testing.T) {
	g := &Gate{FirstProbe: time.Hour, GiveUp: 30 * time.Millisecond}
	g.Hold(time.Now().Add(24 * time.Hour))
	if _, err := g.Enter(context.Background()); err != errOutage {
		t.Errorf("Enter = %v, want the outage's end", err)
	}
}

// answer hears the answer of an attempt let in while the service was up,
// as those in flight when it goes down are.
func answer(t *testing.T, g *Gate, key string, ans batch.Answer) (down bool) {
	t.Helper()
	return (&Pass{g: g}).Done(key, ans)
}
