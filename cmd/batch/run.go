package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"batch"
	"batch/pipeline"
	"batch/readers"
	"batch/writers"
)

// runCmd is a run's story: parse, wire, estimate, run, report, and the
// exit code. A configuration file that lists obligados makes it a night of
// several companies (nights.go).
func runCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, files, err := parseRun(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(stderr, err)
	}
	if len(opts.obligados) > 0 {
		return runCompanies(opts, getenv, stdout, stderr)
	}
	code, _ := runNight(opts, files, getenv, stdout, stderr)
	return code
}

// nightResult is what one night leaves for the summary of several.
type nightResult struct {
	out     string
	sum     batch.Summary
	stopped string
}

// runNight runs parsed options over files and returns the exit code.
func runNight(opts runFlags, files []string, getenv func(string) string, stdout, stderr io.Writer) (int, nightResult) {
	n, err := wire(opts, files, getenv)
	if err != nil {
		return fail(stderr, err), nightResult{stopped: explain(err)}
	}
	defer n.close()
	ctx, stopWatching := n.watchSignals(stderr)
	defer stopWatching()
	total, err := n.estimate(ctx, stderr)
	if err != nil {
		n.book.Abort()
		return fail(stderr, err), nightResult{stopped: explain(err)}
	}
	sum, runErr := n.run(ctx, total, stderr)
	n.recordNotes(sum, runErr, stderr)
	if err := n.book.Close(n.summary(sum, runErr)); err != nil {
		return fail(stderr, err), nightResult{sum: sum, stopped: explain(err)}
	}
	n.report(stderr, sum, runErr)
	code := n.exitCode(stderr, sum, runErr)
	if opts.json {
		writeJSON(stdout, sum, n.out, code, opts.dryRun, stopReason(runErr))
	}
	return code, nightResult{out: n.out, sum: sum, stopped: stopReason(runErr)}
}

// estimate runs the whole night dry before the first request, and says
// what it holds: rows, requests, and how long they take at the limit. A
// dry run is its own estimate.
func (n *night) estimate(ctx context.Context, stderr io.Writer) (rows int, err error) {
	if n.opts.dryRun {
		return 0, nil
	}
	plan := n.cfg
	plan.DryRun, plan.Sink = true, discard{}
	est, err := pipeline.Run(ctx, plan)
	if err != nil && !errors.Is(err, context.Canceled) {
		return 0, err
	}
	if !n.opts.quiet {
		estimate(stderr, est, n.opts.rpm, n.opts.window, n.opts.rateCorreo)
		n.sayHidden(stderr)
	}
	return est.Rows, nil
}

// run sends, showing the progress of total rows unless told not to.
func (n *night) run(ctx context.Context, total int, stderr io.Writer) (batch.Summary, error) {
	cfg := n.cfg
	var prog *progress
	if !n.opts.quiet && !n.opts.dryRun {
		prog = startProgress(stderr, total, n.pacers[batch.ServiceAfacturar], n.pacers[batch.ServiceSSIntegral])
		cfg.Sink = prog.sink(n.book)
		n.say = prog.say
	}
	sum, err := pipeline.Run(ctx, cfg)
	n.say = nil
	prog.stop()
	return sum, err
}

// recordNotes keeps in the journal the rows a person must look at that it
// holds as no key (INVALIDO, REVISAR), in place of the last night's, for
// batch pendientes. A night that did not read every row replaces nothing.
func (n *night) recordNotes(sum batch.Summary, runErr error, stderr io.Writer) {
	if n.opts.dryRun || n.db == nil || runErr != nil {
		return
	}
	var opNames []string
	for _, op := range n.cfg.Ops {
		opNames = append(opNames, op.Name())
	}
	if err := n.router.ReplaceNotes(opNames, sum.Notes); err != nil {
		fmt.Fprintf(stderr, "batch: %v\n", err)
	}
}

// summary is what the Resumen sheet tells of the run.
func (n *night) summary(sum batch.Summary, runErr error) writers.Run {
	f := n.opts
	return writers.Run{
		Summary: sum, Inputs: n.files,
		Limit:  int(math.Round(float64(f.rpm) * time.Minute.Seconds() / f.window.Seconds())),
		DryRun: f.dryRun, Stopped: stopReason(runErr), Hidden: n.hidden, Pauses: n.pauses(sum.Ended),
	}
}

// report prints the run's outcome for whoever watches the job.
func (n *night) report(stderr io.Writer, sum batch.Summary, runErr error) {
	if n.opts.quiet {
		return
	}
	if n.opts.dryRun {
		estimate(stderr, sum, n.opts.rpm, n.opts.window, n.opts.rateCorreo)
		n.sayHidden(stderr)
		fmt.Fprintf(stderr, "  revisión (no se envió nada): %s\n", n.out)
	} else {
		report(stderr, sum, n.out)
	}
	if sum.Rows == 0 && runErr == nil {
		var where []string
		for _, sh := range n.sheets {
			where = append(where, fmt.Sprintf("«%s» (encabezado en la fila %d)", sh.Name, sh.HeaderRow))
		}
		fmt.Fprintf(stderr, "batch: no hay filas de datos debajo del encabezado en %s: no había nada que enviar\n", terminalSafe(strings.Join(where, ", ")))
	}
}

// sayHidden names the hidden sheets that were not read.
func (n *night) sayHidden(stderr io.Writer) {
	if len(n.hidden) > 0 {
		fmt.Fprintf(stderr, "batch: hojas ocultas que no se leyeron: %s (use --hojas-ocultas para leerlas)\n", terminalSafe(strings.Join(n.hidden, ", ")))
	}
}

// exitCode maps the run's outcome to the exit code, saying why it is not 0
// when the reason is not in the report.
func (n *night) exitCode(stderr io.Writer, sum batch.Summary, runErr error) int {
	var (
		stopped  *pipeline.Stopped
		inputErr *readers.Error
	)
	switch {
	case errors.As(runErr, &stopped):
		return fail(stderr, fmt.Errorf("se detuvo el envío: %s. Las filas no enviadas quedaron PENDIENTE en %s", explain(stopped), n.out))
	case errors.As(runErr, &inputErr):
		return fail(stderr, fmt.Errorf("%s (las filas anteriores quedaron en %s)", explain(runErr), n.out))
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintf(stderr, "batch: ejecución interrumpida; las filas sin respuesta quedaron PENDIENTE en %s\n", n.out)
		return exitSomeRows
	case runErr != nil:
		return fail(stderr, runErr)
	case n.opts.dryRun:
		for _, counts := range sum.Statuses {
			if counts[batch.StatusInvalido]+counts[batch.StatusRechazado] > 0 {
				return exitSomeRows
			}
		}
		return exitOK
	case !sum.Complete():
		return exitSomeRows
	}
	return exitOK
}
