package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"batch"
	"batch/journal"
)

// fakeOp is a hand-written operation: the key is the row's first cell, and
// answers come from a function of the key and the attempt number.
type fakeOp struct {
	answer func(key string, attempt int) batch.Answer
	delay  func(key string) time.Duration

	mu    sync.Mutex
	sends map[string]int
}

func (o *fakeOp) Name() string { return "fake" }

func (o *fakeOp) KeyField() batch.Field { return "clave" }

func (o *fakeOp) Prepare(row batch.Row) (batch.Request, string) {
	key := row.Cells[0]
	if key == "" {
		return batch.Request{}, "clave vacía"
	}
	return batch.Request{
		Key:      key,
		Describe: func() string { return "clave=" + key },
		Send:     func(ctx context.Context) batch.Answer { return o.send(ctx, key) },
	}, ""
}

func (o *fakeOp) send(ctx context.Context, key string) batch.Answer {
	o.mu.Lock()
	if o.sends == nil {
		o.sends = map[string]int{}
	}
	o.sends[key]++
	n := o.sends[key]
	o.mu.Unlock()
	if o.delay != nil {
		select {
		case <-time.After(o.delay(key)):
		case <-ctx.Done():
		}
	}
	return o.answer(key, n)
}

func (o *fakeOp) sent(key string) int { o.mu.Lock(); defer o.mu.Unlock(); return o.sends[key] }

type rows []string

func (r rows) Each(fn func(batch.Row) error) error {
	sheet := &batch.Sheet{Name: "Hoja1", Columns: []string{"clave"}, Index: map[batch.Field]int{"clave": 0}}
	for i, k := range r {
		if err := fn(batch.Row{Sheet: sheet, Line: i + 2, Cells: []string{k}}); err != nil {
			return err
		}
	}
	return nil
}

type sink struct {
	keys    []string
	results []batch.Result
}

func (s *sink) Write(row batch.Row, res []batch.Result) error {
	s.keys = append(s.keys, row.Cells[0])
	s.results = append(s.results, res[0])
	return nil
}

func ok(string, int) batch.Answer { return batch.Answer{Class: batch.ClassOK, Code: "0"} }

var fast = RetryPolicy{MaxAttempts: 3, MaxRateLimited: 5, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

func run(t *testing.T, op *fakeOp, in rows, inFlight int) (*sink, batch.Summary, error) {
	t.Helper()
	s := &sink{}
	sum, err := Run(context.Background(), Config{Inputs: []Source{in}, Ops: []Op{{Operation: op}}, Sink: s, Retry: fast, InFlight: inFlight, Window: 3})
	return s, sum, err
}

// Results reach the sink in input order even when later rows finish first,
// and the window bounds how far reading runs ahead.
func TestOrderKeptUnderConcurrency(t *testing.T) {
	var in rows
	for i := 0; i < 40; i++ {
		in = append(in, fmt.Sprintf("k%02d", i))
	}
	op := &fakeOp{answer: ok, delay: func(k string) time.Duration {
		if k[2]%3 == 0 {
			return 5 * time.Millisecond
		}
		return 0
	}}
	s, sum, err := run(t, op, in, 8)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range s.keys {
		if k != in[i] {
			t.Fatalf("row %d is %s, want %s", i, k, in[i])
		}
	}
	if sum.Rows != 40 || sum.Statuses["fake"][batch.StatusOK] != 40 || !sum.Complete() {
		t.Errorf("summary = %+v", sum)
	}
}

func TestDuplicateKeySentOnce(t *testing.T) {
	op := &fakeOp{answer: func(string, int) batch.Answer {
		return batch.Answer{Class: batch.ClassOK, Values: map[string]any{"cude": "c1"}}
	}}
	s, sum, err := run(t, op, rows{"a", "b", "a", "a"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if op.sent("a") != 1 || sum.Requests != 2 {
		t.Errorf("a sent %d times, %d requests; want 1 and 2", op.sent("a"), sum.Requests)
	}
	for i, r := range s.results {
		if r.Status != batch.StatusOK || r.Values["cude"] != "c1" {
			t.Errorf("row %d = %+v", i, r)
		}
	}
	if s.results[0].Message != "" || s.results[2].Message == "" {
		t.Errorf("only the repeats say they were not sent again: %q / %q", s.results[0].Message, s.results[2].Message)
	}
}

func TestInvalidRowNeverSent(t *testing.T) {
	op := &fakeOp{answer: ok}
	s, _, _ := run(t, op, rows{"", "a"}, 2)
	if s.results[0].Status != batch.StatusInvalido || op.sent("") != 0 {
		t.Errorf("invalid row: %+v, sent %d", s.results[0], op.sent(""))
	}
}

func TestRetriesByClass(t *testing.T) {
	op := &fakeOp{answer: func(k string, n int) batch.Answer {
		switch k {
		case "flaky": // fails twice, then succeeds
			if n < 3 {
				return batch.Answer{Class: batch.ClassTransient, Message: "503"}
			}
			return batch.Answer{Class: batch.ClassOK}
		case "down":
			return batch.Answer{Class: batch.ClassTransient, Message: "código 28"}
		case "busy": // 429 four times, then fine
			if n < 5 {
				return batch.Answer{Class: batch.ClassRateLimited, RetryAfter: time.Millisecond}
			}
			return batch.Answer{Class: batch.ClassOK}
		case "lost": // the first answer was lost; the resend meets LGC01
			if n == 1 {
				return batch.Answer{Class: batch.ClassTransient}
			}
			return batch.Answer{Class: batch.ClassAlreadyDone, Code: "LGC01"}
		case "bad":
			return batch.Answer{Class: batch.ClassRejected, Code: "400"}
		}
		return batch.Answer{Class: batch.ClassUnexpected}
	}}
	s, _, err := run(t, op, rows{"flaky", "down", "busy", "lost", "bad", "odd"}, 6)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status   batch.Status
		attempts int
	}{
		{batch.StatusOK, 3}, {batch.StatusPendiente, 3}, {batch.StatusOK, 5},
		{batch.StatusYaRegistrado, 2}, {batch.StatusRechazado, 1}, {batch.StatusError, 1},
	}
	for i, w := range want {
		if r := s.results[i]; r.Status != w.status || r.Attempts != w.attempts {
			t.Errorf("%s: %s after %d attempts; want %s after %d", s.keys[i], r.Status, r.Attempts, w.status, w.attempts)
		}
	}
	if op.sent("bad") != 1 {
		t.Error("a rejected row was resent")
	}
}

// A refusal that concerns every row stops sending after the first: the
// rest are PENDIENTE and never reach the provider.
func TestFatalStopsTheRun(t *testing.T) {
	op := &fakeOp{answer: func(string, int) batch.Answer {
		return batch.Answer{Class: batch.ClassFatal, Message: "token rechazado"}
	}}
	var in rows
	for i := 0; i < 50; i++ {
		in = append(in, fmt.Sprint(i))
	}
	s, sum, err := run(t, op, in, 1)
	var stopped *Stopped
	if !errors.As(err, &stopped) || stopped.Reason != "token rechazado" {
		t.Fatalf("err = %v, want Stopped", err)
	}
	total := 0
	for _, k := range in {
		total += op.sent(k)
	}
	if total != 1 {
		t.Errorf("%d requests after a fatal answer; want 1", total)
	}
	if len(s.results) != 50 || sum.Statuses["fake"][batch.StatusPendiente] != 50 {
		t.Errorf("%d rows written, statuses %v; want all 50 PENDIENTE", len(s.results), sum.Statuses)
	}
}

type failingSink struct{ n int }

func (f *failingSink) Write(batch.Row, []batch.Result) error {
	f.n++
	if f.n == 2 {
		return errors.New("disco lleno")
	}
	return nil
}

func TestSinkFailureStopsSending(t *testing.T) {
	op := &fakeOp{answer: ok}
	var in rows
	for i := 0; i < 100; i++ {
		in = append(in, fmt.Sprint(i))
	}
	_, err := Run(context.Background(), Config{Inputs: []Source{in}, Ops: []Op{{Operation: op}}, Sink: &failingSink{}, Retry: fast, InFlight: 1, Window: 1})
	if err == nil || err.Error() != "disco lleno" {
		t.Fatalf("err = %v", err)
	}
	total := 0
	for _, k := range in {
		total += op.sent(k)
	}
	if total >= 100 {
		t.Errorf("%d requests after the workbook failed", total)
	}
}

// The journal makes a second run send nothing for keys already final, and
// resend what was pending, in flight or (on request) rejected.
func TestResumeFromJournal(t *testing.T) {
	db, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j := db.Ledger(journal.Pruebas, "900")
	first := &fakeOp{answer: func(k string, n int) batch.Answer {
		switch k {
		case "ok":
			return batch.Answer{Class: batch.ClassOK, Values: map[string]any{"cude": "c-ok"}}
		case "bad":
			return batch.Answer{Class: batch.ClassRejected, Message: "regla X"}
		case "down":
			return batch.Answer{Class: batch.ClassTransient}
		}
		return batch.Answer{Class: batch.ClassAlreadyDone}
	}}
	in := rows{"ok", "bad", "down", "dup"}
	cfg := Config{Inputs: []Source{in}, Ops: []Op{{Operation: first}}, Sink: &sink{}, Retry: fast, InFlight: 2, Journal: j}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// A key left in flight by a killed run.
	if _, err := j.Begin("fake", "killed", batch.Origin{}, ""); err != nil {
		t.Fatal(err)
	}
	second := &fakeOp{answer: ok}
	s := &sink{}
	cfg.Ops, cfg.Sink, cfg.Inputs = []Op{{Operation: second}}, s, []Source{rows{"ok", "bad", "down", "dup", "killed"}}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ok", "bad", "dup"} {
		if second.sent(k) != 0 {
			t.Errorf("%s, final in the journal, was sent again", k)
		}
	}
	if second.sent("down") != 1 || second.sent("killed") != 1 || sum.Reused != 3 {
		t.Errorf("down sent %d, killed sent %d, reused %d; want 1, 1, 3", second.sent("down"), second.sent("killed"), sum.Reused)
	}
	if r := s.results[0]; r.Status != batch.StatusOK || r.Values["cude"] != "c-ok" || r.Attempts != 0 {
		t.Errorf("reused row = %+v", r)
	}
	if !strings.Contains(s.results[1].Message, "--reintentar") {
		t.Errorf("a reused RECHAZADO does not say how to resend it: %q", s.results[1].Message)
	}
	if s.results[1].Status != batch.StatusRechazado || s.results[3].Status != batch.StatusYaRegistrado {
		t.Errorf("statuses = %v, %v", s.results[1].Status, s.results[3].Status)
	}
	cfg.RetryRejected = true
	third := &fakeOp{answer: ok}
	cfg.Ops = []Op{{Operation: third}}
	cfg.Sink = &sink{}
	Run(context.Background(), cfg)
	if third.sent("bad") != 1 || third.sent("ok") != 0 {
		t.Errorf("with RetryRejected: bad sent %d, ok sent %d; want 1, 0", third.sent("bad"), third.sent("ok"))
	}
}

// A dry run reads, checks and writes every row, sends nothing, counts what
// a run would send, and answers from the journal what an earlier run
// finished.
func TestDryRunSendsNothing(t *testing.T) {
	db, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j := db.Ledger(journal.Pruebas, "900")
	earlier := &fakeOp{answer: ok}
	if _, err := Run(context.Background(), Config{Inputs: []Source{rows{"done"}}, Ops: []Op{{Operation: earlier}}, Sink: &sink{}, Retry: fast, Journal: j}); err != nil {
		t.Fatal(err)
	}
	op := &fakeOp{answer: ok}
	s := &sink{}
	sum, err := Run(context.Background(), Config{
		Inputs: []Source{rows{"a", "b", "", "a", "done", "done"}}, Ops: []Op{{Operation: op}},
		Sink: s, Retry: fast, InFlight: 4, Journal: j, DryRun: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(op.sends) != 0 || sum.Attempts != 0 {
		t.Fatalf("a dry run sent %v (%d attempts)", op.sends, sum.Attempts)
	}
	if sum.Rows != 6 || sum.Requests != 2 || sum.Reused != 1 || sum.Duplicates != 2 {
		t.Errorf("rows %d, to send %d, reused %d, duplicates %d; want 6, 2, 1, 2", sum.Rows, sum.Requests, sum.Reused, sum.Duplicates)
	}
	want := []batch.Status{batch.StatusPendiente, batch.StatusPendiente, batch.StatusInvalido, batch.StatusPendiente, batch.StatusOK, batch.StatusOK}
	for i, st := range want {
		if s.results[i].Status != st {
			t.Errorf("row %d: %s, want %s (%+v)", i, s.results[i].Status, st, s.results[i])
		}
	}
	if s.results[0].Code != "SIN_ENVIAR" || !strings.Contains(s.results[3].Message, "fila 2: se enviaría una sola vez") {
		t.Errorf("would-send rows = %+v / %+v", s.results[0], s.results[3])
	}
	if got, _, found, err := j.Recorded("fake", "a"); err != nil || found {
		t.Errorf("a dry run recorded %+v, %v in the journal", got, err)
	}
}

// A key seen again long after its request finished is answered from the
// journal: the run does not keep every result in memory, and the repeated
// row still gets the first row's result, sent once.
func TestRepeatedKeyAfterItsJobWasLetGo(t *testing.T) {
	db, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j := db.Ledger(journal.Pruebas, "900")
	op := &fakeOp{answer: func(k string, n int) batch.Answer {
		return batch.Answer{Class: batch.ClassOK, Values: map[string]any{"cude": "cude-" + k}}
	}}
	in := rows{"x", "y"}
	for i := 0; i < 50; i++ {
		in = append(in, fmt.Sprintf("k%02d", i))
	}
	in = append(in, "x", "y")
	s := &sink{}
	sum, err := Run(context.Background(), Config{Inputs: []Source{in}, Ops: []Op{{Operation: op}}, Sink: s, Retry: fast, InFlight: 1, Window: 2, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	if op.sent("x") != 1 || op.sent("y") != 1 || sum.Duplicates != 2 || sum.Requests != 52 {
		t.Fatalf("x sent %d, y sent %d, duplicates %d, requests %d", op.sent("x"), op.sent("y"), sum.Duplicates, sum.Requests)
	}
	for i, k := range []string{"x", "y"} {
		r := s.results[len(s.results)-2+i]
		if r.Status != batch.StatusOK || r.Values["cude"] != "cude-"+k || !strings.Contains(r.Message, fmt.Sprintf("fila %d", i+2)) {
			t.Errorf("repeated %s = %+v", k, r)
		}
	}
}

// Stopped in the middle, the figures add up: every request counted was
// either attempted or is named as not attempted.
func TestInterruptedFiguresAddUp(t *testing.T) {
	var in rows
	for i := 0; i < 60; i++ {
		in = append(in, fmt.Sprintf("k%02d", i))
	}
	// Whether a request was counted and not yet begun when the stop came
	// depends on where the reader was: the figures must add up every
	// time, and some run must have one not attempted.
	unattempted := 0
	for run := 0; run < 50 && unattempted == 0; run++ {
		ctx, cancel := context.WithCancel(context.Background())
		var started atomic.Int32
		op := &fakeOp{answer: func(string, int) batch.Answer {
			if started.Add(1) == 5 {
				cancel()
			}
			return batch.Answer{Class: batch.ClassOK, Code: "0"}
		}, delay: func(string) time.Duration { return time.Millisecond }}
		sum, err := Run(ctx, Config{Inputs: []Source{in}, Ops: []Op{{Operation: op, Pacer: NewWindowPacer(600000, time.Minute)}}, Sink: &sink{}, Retry: fast, InFlight: 2, Window: 60})
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		attempted := 0
		for k := range in {
			if op.sent(in[k]) > 0 {
				attempted++
			}
		}
		if sum.Requests != attempted+sum.Unattempted || sum.Attempts < attempted {
			t.Fatalf("%d requests, %d attempted (%d attempts), %d not attempted", sum.Requests, attempted, sum.Attempts, sum.Unattempted)
		}
		unattempted = sum.Unattempted
	}
	if unattempted == 0 {
		t.Error("in 50 runs no request was counted and left unattempted by the stop")
	}
}

// A run with a limit sends at most that many requests; the rest are
// PENDIENTE with code LIMITE, never attempted.
func TestLimitSendsAtMostN(t *testing.T) {
	in := rows{"a", "b", "a", "c", "d", "e"}
	op := &fakeOp{answer: ok}
	s := &sink{}
	sum, err := Run(context.Background(), Config{Inputs: []Source{in}, Ops: []Op{{Operation: op}}, Sink: s, Retry: fast, InFlight: 4, Window: 8, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if op.sent("a")+op.sent("b")+op.sent("c")+op.sent("d")+op.sent("e") != 2 || sum.Requests != 2 {
		t.Errorf("sent %v, %d requests", op.sends, sum.Requests)
	}
	var limited int
	for _, r := range s.results {
		if r.Code == batch.CodeLimite && r.Status == batch.StatusPendiente && r.Attempts == 0 {
			limited++
		}
	}
	if limited != 3 || s.results[2].Status != batch.StatusOK {
		t.Errorf("results %+v", s.results)
	}
}

// An answer's follow-up (the history behind an LGC01) goes as any request
// does: paced, journalled and counted; what it finds completes the row,
// and when it fails for good the row keeps its first answer with a note.
func TestFollowUpIsARequestOfItsOwn(t *testing.T) {
	db, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j := db.Ledger(journal.Pruebas, "900")
	var history atomic.Int32
	follow := func(fails bool) *batch.Request {
		return &batch.Request{Key: "k", Describe: func() string { return "historico" }, Send: func(context.Context) batch.Answer {
			history.Add(1)
			if fails {
				return batch.Answer{Class: batch.ClassTransient, Message: "503"}
			}
			return batch.Answer{Class: batch.ClassAlreadyDone, Message: "LGC01; del histórico", Values: map[string]any{"cude": "real"}}
		}}
	}
	op := &fakeOp{answer: func(k string, n int) batch.Answer {
		return batch.Answer{Class: batch.ClassAlreadyDone, Message: "LGC01", Then: follow(k == "mala")}
	}}
	pacer := NewWindowPacer(600000, time.Minute)
	s := &sink{}
	sum, err := Run(context.Background(), Config{Inputs: []Source{rows{"buena", "mala"}}, Ops: []Op{{Operation: op, Pacer: pacer}}, Sink: s,
		Retry: fast, InFlight: 2, Journal: j})
	if err != nil {
		t.Fatal(err)
	}
	good, bad := s.results[0], s.results[1]
	if good.Status != batch.StatusYaRegistrado || good.Values["cude"] != "real" || good.Attempts != 2 {
		t.Errorf("completed: %+v", good)
	}
	if bad.Status != batch.StatusYaRegistrado || !strings.Contains(bad.Message, "no se pudo consultar el histórico") || bad.Attempts != 1+fast.MaxAttempts {
		t.Errorf("follow-up failed: %+v", bad)
	}
	if sum.Attempts != good.Attempts+bad.Attempts || pacer.SentCount() != sum.Attempts || int(history.Load()) != 1+fast.MaxAttempts {
		t.Errorf("attempts %d, paced %d, history asked %d", sum.Attempts, pacer.SentCount(), history.Load())
	}
	entries, _ := db.History("buena")
	if len(entries) != 1 || len(entries[0].Attempts) != 2 || entries[0].Result.Status != batch.StatusYaRegistrado {
		t.Errorf("journal: %+v", entries)
	}
}

// orderedOp is an operation of its own name, asked by the rows that name it
// in their second cell, optionally after another.
type orderedOp struct {
	*fakeOp
	name, after string
	mu          sync.Mutex
	at          map[string]time.Time // when each key was answered
	inFlight    *atomic.Int32
	maxInFlight *atomic.Int32
	early       *atomic.Int32 // sends that arrived before their prerequisite's answer
	peer        *orderedOp
}

func (o *orderedOp) Name() string             { return o.name }
func (o *orderedOp) After() string            { return o.after }
func (o *orderedOp) Asks(row batch.Row) bool  { return row.Cells[1] == o.name }
func (o *orderedOp) Columns() []string        { return nil }
func (o *orderedOp) Cells(batch.Result) []any { return nil }

func (o *orderedOp) Prepare(row batch.Row) (batch.Request, string) {
	key := row.Cells[0]
	return batch.Request{Key: key, Describe: func() string { return key }, Send: func(ctx context.Context) batch.Answer {
		if o.peer != nil {
			o.peer.mu.Lock()
			if _, ok := o.peer.at[key]; !ok {
				o.early.Add(1)
			}
			o.peer.mu.Unlock()
		}
		n := o.inFlight.Add(1)
		for m := o.maxInFlight.Load(); n > m && !o.maxInFlight.CompareAndSwap(m, n); m = o.maxInFlight.Load() {
		}
		time.Sleep(time.Duration(rand.N(3)) * time.Millisecond)
		o.inFlight.Add(-1)
		o.mu.Lock()
		o.at[key] = time.Now()
		o.mu.Unlock()
		return batch.Answer{Class: batch.ClassOK}
	}}, ""
}

type pairs [][2]string

func (p pairs) Each(fn func(batch.Row) error) error {
	sheet := &batch.Sheet{Name: "Hoja1", Columns: []string{"clave", "op"}, Index: map[batch.Field]int{"clave": 0}}
	for i, c := range p {
		if err := fn(batch.Row{Sheet: sheet, Line: i + 2, Cells: []string{c[0], c[1]}}); err != nil {
			return err
		}
	}
	return nil
}

// Every dependant comes before its prerequisite in the input, further than
// the window reads ahead: each still goes after it, none waits holding a
// place in flight, and the ceiling holds.
func TestDependantsAboveTheirPrerequisites(t *testing.T) {
	var inFlight, maxInFlight, early atomic.Int32
	a := &orderedOp{fakeOp: &fakeOp{}, name: "a", at: map[string]time.Time{}, inFlight: &inFlight, maxInFlight: &maxInFlight, early: &early}
	b := &orderedOp{fakeOp: &fakeOp{}, name: "b", after: "a", at: map[string]time.Time{}, inFlight: &inFlight, maxInFlight: &maxInFlight, early: &early, peer: a}
	var in pairs
	for i := 0; i < 200; i++ {
		in = append(in, [2]string{fmt.Sprint("k", i), "b"})
	}
	for i := 199; i >= 0; i-- {
		in = append(in, [2]string{fmt.Sprint("k", i), "a"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := &sink{}
	sum, err := Run(ctx, Config{Inputs: []Source{in}, Ops: []Op{{Operation: a}, {Operation: b}}, Sink: s, Retry: fast, InFlight: 3, Window: 8})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Statuses["b"][batch.StatusOK] != 200 || sum.Statuses["a"][batch.StatusOK] != 200 || early.Load() != 0 || maxInFlight.Load() > 3 {
		t.Errorf("statuses %v, %d early, %d in flight at most", sum.Statuses, early.Load(), maxInFlight.Load())
	}
}

// failingEnd is a journal whose write of an answer fails (a full disk):
// the attempt began, and stays in flight.
type failingEnd struct{ Journal }

func (failingEnd) End(int64, string, string, batch.Answer, batch.Result) error {
	return errors.New("no se pudo escribir en el diario: disco lleno")
}

// An operation sent at most once is never sent again on its own when its
// outcome is not known: an unsure answer leaves it REVISAR, and so does an
// attempt whose answer the journal could not record, in this run (which
// keeps the answer it got) and the next; a key named in Resend is sent.
func TestAtMostOnce(t *testing.T) {
	t.Parallel()
	db, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j := db.Ledger(journal.Pruebas, "900")
	op := &fakeOp{answer: func(k string, n int) batch.Answer {
		switch {
		case k == "cut" && n == 1:
			return batch.Answer{Class: batch.ClassTransient, Code: batch.CodeRed, Message: "se perdió la conexión", Unsure: true}
		case k == "refused" && n == 1:
			return batch.Answer{Class: batch.ClassTransient, Code: batch.CodeRed, Message: "conexión rechazada"}
		}
		return batch.Answer{Class: batch.ClassOK, Code: "00"}
	}}
	s := &sink{}
	cfg := Config{Inputs: []Source{rows{"cut", "refused"}}, Ops: []Op{{Operation: op, AtMostOnce: true}}, Sink: s, Retry: fast, InFlight: 1, Journal: j}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if r := s.results[0]; r.Status != batch.StatusRevisar || r.Code != batch.CodeIncierto || op.sent("cut") != 1 {
		t.Errorf("an unsure answer: %+v after %d sends", r, op.sent("cut"))
	}
	if r := s.results[1]; r.Status != batch.StatusOK || op.sent("refused") != 2 {
		t.Errorf("a request that never left: %+v after %d sends", r, op.sent("refused"))
	}
	// The disk fills as "lost"'s answer comes back.
	s = &sink{}
	cfg.Inputs, cfg.Sink, cfg.Journal = []Source{rows{"lost"}}, s, failingEnd{j}
	_, err = Run(context.Background(), cfg)
	var stopped *Stopped
	if !errors.As(err, &stopped) || stopped.Kind != batch.KindJournal {
		t.Errorf("a journal that cannot record an answer: %v", err)
	}
	if r := s.results[0]; r.Status != batch.StatusOK || !strings.Contains(r.Message, "no quedó en el diario") {
		t.Errorf("the answer got while the journal failed: %+v", r)
	}
	// The next run sends none of them, but what a person names.
	s = &sink{}
	cfg.Inputs, cfg.Sink, cfg.Journal = []Source{rows{"cut", "lost", "refused"}}, s, j
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if op.sent("cut") != 1 || op.sent("lost") != 1 || op.sent("refused") != 2 {
		t.Errorf("the next run sent cut %d, lost %d, refused %d times in all", op.sent("cut"), op.sent("lost"), op.sent("refused"))
	}
	if s.results[0].Status != batch.StatusRevisar || s.results[1].Status != batch.StatusRevisar || s.results[2].Status != batch.StatusOK {
		t.Errorf("the next run: %+v", s.results)
	}
	s = &sink{}
	cfg.Sink, cfg.Resend = s, map[string]bool{ResendKey(" CUT "): true}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if op.sent("cut") != 2 || op.sent("lost") != 1 || s.results[0].Status != batch.StatusOK {
		t.Errorf("named again: cut sent %d times, lost %d; %+v", op.sent("cut"), op.sent("lost"), s.results[0])
	}
}

// Keys never sent (past the limit) give up their jobs for one shared
// result, and a row that repeats one later, once its job was let go,
// still gets that result; those sent keep theirs.
func TestUnsentKeysShareTheirResult(t *testing.T) {
	t.Parallel()
	var in rows
	for pass := 0; pass < 2; pass++ {
		for k := 0; k < 300; k++ {
			in = append(in, fmt.Sprintf("k%d", k))
		}
	}
	op := &fakeOp{answer: ok}
	s := &sink{}
	if _, err := Run(context.Background(), Config{Inputs: []Source{in}, Ops: []Op{{Operation: op}}, Sink: s, Retry: fast, InFlight: 1, Window: 1, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		first, again := s.results[i], s.results[300+i]
		if first.Status != again.Status || first.Code != again.Code || !strings.HasPrefix(again.Message, first.Message) {
			t.Fatalf("k%d: %+v, then %+v", i, first, again)
		}
		if want := map[bool]batch.Status{true: batch.StatusOK, false: batch.StatusPendiente}[i < 2]; first.Status != want {
			t.Errorf("k%d: %s, want %s", i, first.Status, want)
		}
	}
}
