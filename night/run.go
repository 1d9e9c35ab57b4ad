package night

import (
	"context"
	"errors"
	"math"
	"os"
	"time"

	"batch"
	"batch/pipeline"
	"batch/writers"
)

// Send runs the wired run and writes its workbook: it estimates, sends,
// records what needs a person, and closes the workbook. When ctx ends no
// new request starts, and those under way are awaited for Settings.Grace.
func (r *Run) Send(ctx context.Context, w Watcher) Outcome {
	r.watch = w
	flight, stopFlight := r.flight(ctx)
	defer stopFlight()
	o := Outcome{Out: r.out, DryRun: r.s.DryRun, Sheets: r.sheets, Hidden: r.hidden, Unread: r.unread}
	total, err := r.estimate(ctx, flight)
	if err != nil {
		r.book.Abort()
		return r.finish(o, err)
	}
	sum, runErr := r.send(ctx, flight, total)
	o.Summary, o.AtLimit, o.Err = sum, r.atLimit(sum), runErr
	var stopped *Stopped
	if errors.As(runErr, &stopped) {
		o.Stopped = r.s.words(stopped)
	}
	if err := r.recordNotes(sum, runErr); err != nil {
		o.Warnings = append(o.Warnings, err)
	}
	if err := r.book.Close(r.resumen(o)); err != nil {
		return r.finish(o, err)
	}
	if err := keepCopy(r.own, r.s); err != nil {
		o.Warnings = append(o.Warnings, err)
	}
	w.Finished(o)
	return o
}

// finish is the outcome of a run that failed before its workbook was
// written.
func (r *Run) finish(o Outcome, err error) Outcome {
	o.Out, o.Failed, o.Stopped = "", err, r.s.words(err)
	r.watch.Finished(o)
	return o
}

// Abandon removes the unfinished workbook, for a front end that ends the
// process at once: the output path keeps its previous complete file, and
// the journal, committed write by write, lets the next run go on.
func (r *Run) Abandon() { os.Remove(r.book.TempPath()) }

// flight is the context of the requests under way: it ends Grace after
// ctx, or when the run is over.
func (r *Run) flight(ctx context.Context) (flight context.Context, stop func()) {
	flight, stopFlight := context.WithCancel(context.Background())
	after := context.AfterFunc(ctx, func() {
		t := time.NewTimer(r.s.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			stopFlight()
		case <-flight.Done():
		}
	})
	return flight, func() {
		after()
		stopFlight()
	}
}

// estimate runs the whole run dry before the first request, for the
// watcher to say what it holds. A dry run is its own estimate.
func (r *Run) estimate(ctx, flight context.Context) (rows int, err error) {
	if r.s.DryRun {
		return 0, nil
	}
	plan := r.cfg
	plan.DryRun, plan.Sink, plan.Flight = true, discard{}, flight
	est, err := pipeline.Run(ctx, plan)
	if err != nil && !errors.Is(err, context.Canceled) {
		return 0, r.stopped(err)
	}
	r.watch.Estimated(Estimate{Summary: est, AtLimit: r.atLimit(est), Hidden: r.hidden})
	return est.Rows, nil
}

// send runs the pipeline, telling the watcher of every row written.
func (r *Run) send(ctx, flight context.Context, total int) (batch.Summary, error) {
	cfg := r.cfg
	cfg.Flight = flight
	if !r.s.DryRun {
		r.watch.Sending(total, r.sentCount)
		cfg.Sink = &watchedSink{Sink: r.book, w: r.watch}
		defer r.watch.Sent()
	}
	sum, err := pipeline.Run(ctx, cfg)
	return sum, r.stopped(err)
}

// sentCount is the requests both providers' pacers let out so far.
func (r *Run) sentCount() int {
	n := 0
	for _, p := range r.pacers {
		n += p.SentCount()
	}
	return n
}

// stopped words the pipeline's stop as a kind of problem with a provider,
// for the front end.
func (r *Run) stopped(err error) error {
	var s *pipeline.Stopped
	if !errors.As(err, &s) {
		return err
	}
	e := &batch.Error{Kind: s.Kind, Op: s.Op, Msg: s.Reason}
	for _, spec := range r.specs {
		if spec.Name == s.Op {
			e.Service = spec.Service
		}
	}
	return &Stopped{Cause: e}
}

// atLimit is how long a run's requests take at the providers' limits,
// spent side by side.
func (r *Run) atLimit(sum batch.Summary) time.Duration {
	requests := map[batch.Service]int{}
	for _, spec := range r.specs {
		n := sum.OpRequests[spec.Name]
		if spec.Batch > 1 {
			n = (n + spec.Batch - 1) / spec.Batch // its keys go many to a request
		}
		requests[spec.Service] += n
	}
	var d time.Duration
	for s, n := range requests {
		d = max(d, time.Duration(n)*pipeline.Interval(r.reach[s].Rate, r.reach[s].Window))
	}
	return d
}

// recordNotes keeps in the journal the rows a person must look at that it
// holds as no key (INVALIDO, REVISAR), in place of the last night's, for
// batch pendientes. A run that did not read every row replaces nothing.
func (r *Run) recordNotes(sum batch.Summary, runErr error) error {
	if r.s.DryRun || r.db == nil || runErr != nil {
		return nil
	}
	var opNames []string
	for _, op := range r.cfg.Ops {
		opNames = append(opNames, op.Name())
	}
	return r.router().ReplaceNotes(opNames, sum.Notes)
}

// resumen is what the Resumen sheet tells of the run.
func (r *Run) resumen(o Outcome) writers.Run {
	f := r.s
	return writers.Run{
		Summary: o.Summary, Inputs: f.Files, Unread: r.unread,
		Limit:  r.perMinute(batch.ServiceAfacturar),
		DryRun: f.DryRun, Stopped: o.Stopped, Hidden: r.hidden, Pauses: r.pauses(o.Summary.Ended),
	}
}

// perMinute is a provider's limit, per minute, for the Resumen sheet.
func (r *Run) perMinute(s batch.Service) int {
	p := r.reach[s]
	return int(math.Round(float64(p.Rate) * time.Minute.Seconds() / p.Window.Seconds()))
}

// discard is the sink of the estimate before a run.
type discard struct{}

func (discard) Write(batch.Row, []batch.Result) error { return nil }

// watchedSink tells the watcher of each row that reaches the workbook.
type watchedSink struct {
	pipeline.Sink
	w Watcher
}

func (s *watchedSink) Write(row batch.Row, res []batch.Result) error {
	err := s.Sink.Write(row, res)
	s.w.Wrote()
	return err
}

// quiet is the watcher of a run that is not yet sending: it shows nothing.
type quiet struct{}

func (quiet) Estimated(Estimate)      {}
func (quiet) Sending(int, func() int) {}
func (quiet) Wrote()                  {}
func (quiet) Event(string)            {}
func (quiet) Notice(string)           {}
func (quiet) Sent()                   {}
func (quiet) Finished(Outcome)        {}
