package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"batch"
	"batch/internal/progress"
	"batch/internal/secret"
	"batch/internal/text"
	"batch/night"
	"batch/ops"
	"batch/writers"
)

// console shows one run to whoever watches the job: the estimate, the
// progress while sending, the providers' events, and the report at the
// end, in the command line's words.
type console struct {
	opts   *runOptions
	stderr io.Writer
	prog   *progress.Display // while sending
	names  *names            // what its messages call the variables of its secrets
	known  *secret.Known     // the run's secrets, masked in what it words
}

// newConsole is the console of a single run (who is single) or of a
// company of a night, writing to stderr.
func newConsole(opts *runOptions, stderr io.Writer, who *names, known *secret.Known) *console {
	return &console{opts: opts, stderr: stderr, names: who, known: known}
}

func (c *console) Estimated(e night.Estimate) {
	if !c.opts.quiet {
		c.estimate(e)
	}
}

func (c *console) Sending(total int, sent func() int) {
	if !c.opts.quiet {
		c.prog = progress.Start(c.stderr, total, sent)
	}
}

func (c *console) Wrote() {
	if c.prog != nil {
		c.prog.Row()
	}
}

func (c *console) Event(line string) {
	if c.prog != nil {
		c.prog.Say(line)
	}
}

func (c *console) Notice(line string) {
	if !c.opts.quiet {
		fmt.Fprintln(c.stderr, text.Printable(line))
	}
}

func (c *console) Sent() {
	c.prog.Stop()
	c.prog = nil
}

func (c *console) words(err error) string { return c.known.Text(explain(err, c.names)) }

// fail prints what went wrong in this run's words.
func (c *console) fail(err error) {
	fmt.Fprintf(c.stderr, "batch: %s\n", text.Printable(c.words(err)))
}

// Finished prints the run's outcome and, when it is not clean, why.
func (c *console) Finished(o night.Outcome) {
	if o.Failed != nil {
		c.fail(o.Failed)
		return
	}
	for _, w := range o.Warnings {
		fmt.Fprintf(c.stderr, "batch: %v\n", w)
	}
	for _, u := range o.Unread {
		fmt.Fprintf(c.stderr, "batch: %s no se leyó: %s\n", text.Printable(u.Path), text.Printable(u.Reason))
	}
	if o.Out == "" {
		if o.NoFiles && !c.opts.quiet {
			fmt.Fprintln(c.stderr, "batch: sin archivos esta noche")
		}
		return
	}
	c.report(o)
	var (
		stopped *night.Stopped
		be      *batch.Error
	)
	switch {
	case errors.As(o.Err, &stopped):
		c.fail(fmt.Errorf("se detuvo el envío: %s. Las filas no enviadas quedaron PENDIENTE en %s", c.words(stopped), text.Printable(o.Out)))
	case errors.As(o.Err, &be):
		c.fail(fmt.Errorf("%s (las filas anteriores quedaron en %s)", c.words(o.Err), o.Out))
	case errors.Is(o.Err, context.Canceled):
		fmt.Fprintf(c.stderr, "batch: ejecución interrumpida; las filas sin respuesta quedaron PENDIENTE en %s\n", text.Printable(o.Out))
	case o.Err != nil:
		c.fail(o.Err)
	}
}

// report prints the run's figures.
func (c *console) report(o night.Outcome) {
	if c.opts.quiet {
		return
	}
	w := c.stderr
	if o.DryRun {
		c.estimate(o.Estimate())
		fmt.Fprintf(w, "  revisión (no se envió nada): %s\n", text.Printable(o.Out))
	} else {
		c.figures(o.Summary, o.Out)
	}
	if n := o.Summary.Statuses[batch.OpCorreo][batch.StatusRevisar]; n > 0 && !o.DryRun {
		fmt.Fprintf(w, "batch: %d correos quedaron REVISAR: pueden haberse enviado y no se envían de nuevo solos. Confírmelos con el cliente; para reenviar uno, ejecute de nuevo con --reenviar \"PREFIJO NUMERO\"\n", n)
	}
	if o.Summary.Rows == 0 && o.Err == nil {
		var where []string
		for _, sh := range o.Sheets {
			where = append(where, fmt.Sprintf("«%s» (encabezado en la fila %d)", sh.Name, sh.HeaderRow))
		}
		fmt.Fprintf(w, "batch: no hay filas de datos debajo del encabezado en %s: no había nada que enviar\n", text.Printable(strings.Join(where, ", ")))
	}
}

// estimate tells, before sending, how many requests the run will make and
// how long they take at the providers' limits, and which hidden sheets it
// does not read.
func (c *console) estimate(e night.Estimate) {
	sum := e.Summary
	rest, soap := c.opts.rate(batch.ServiceAfacturar), c.opts.rate(batch.ServiceSSIntegral)
	invalid, notFor := 0, 0
	for _, counts := range sum.Statuses {
		invalid, notFor = invalid+counts[batch.StatusInvalido], notFor+counts[batch.StatusNoAplica]
	}
	correos := sum.OpRequests[batch.OpCorreo]
	per := "por minuto"
	if rest.Window != time.Minute {
		per = "cada " + rest.Window.String()
	}
	pace := fmt.Sprintf("A %d %s", rest.Rate, per)
	if correos > 0 {
		if sum.Requests > correos {
			pace += fmt.Sprintf(" (correos: %d por minuto)", soap.Rate)
		} else {
			pace = fmt.Sprintf("A %d correos por minuto", soap.Rate)
		}
	}
	requests, lists := sum.Requests, ""
	if spec, _ := ops.Lookup(batch.OpTenedor); sum.OpRequests[spec.Name] > 0 {
		n := sum.OpRequests[spec.Name]
		requests += (n+spec.Batch-1)/spec.Batch - n // many CUFEs to a request
		lists = fmt.Sprintf(" (legítimo tenedor: %d CUFE en listas de hasta %d)", n, spec.Batch)
	}
	fmt.Fprintf(c.stderr, "batch: %d filas: se enviarán %d solicitudes%s; %d ya resueltas en ejecuciones anteriores, %d repetidas en el archivo, %d inválidas y %d que no aplican (no se envían). %s: unos %s\n",
		sum.Rows, requests, lists, sum.Reused, sum.Duplicates, invalid, notFor, pace, text.HumanDuration(e.AtLimit))
	if sum.Footers > 0 {
		fmt.Fprintf(c.stderr, "batch: %d filas sin clave que son totales o pie de página: no se envían ni se cuentan como filas\n", sum.Footers)
	}
	if len(e.Hidden) > 0 {
		fmt.Fprintf(c.stderr, "batch: hojas ocultas que no se leyeron: %s (use --hojas-ocultas para leerlas)\n", text.Printable(strings.Join(e.Hidden, ", ")))
	}
	if sheets := (sum.Rows + writers.MaxRows - 1) / writers.MaxRows; sheets > 1 {
		fmt.Fprintf(c.stderr, "batch: una hoja admite %d filas: Resultados ocupará %d hojas («Resultados», «Resultados 2»…)\n", writers.MaxRows, sheets)
	}
}

// figures prints the run's counts for whoever watches the job.
func (c *console) figures(sum batch.Summary, out string) {
	w := c.stderr
	unattempted := ""
	if sum.Unattempted > 0 {
		unattempted = fmt.Sprintf("; %d sin intentar", sum.Unattempted)
	}
	fmt.Fprintf(w, "batch: %d filas leídas, %d solicitudes distintas (%d intentos%s), %d ya resueltas en ejecuciones anteriores, en %s\n",
		sum.Rows, sum.Requests, sum.Attempts, unattempted, sum.Reused, sum.Ended.Sub(sum.Started).Round(100*time.Millisecond))
	for _, name := range night.Operations() {
		counts := sum.Statuses[name]
		if counts == nil {
			continue
		}
		var parts []string
		for _, st := range batch.Statuses {
			if n := counts[st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", st, n))
			}
		}
		if len(parts) == 0 {
			parts = []string{"sin filas"}
		}
		fmt.Fprintf(w, "  %s: %s\n", name, strings.Join(parts, " · "))
	}
	fmt.Fprintf(w, "  resultados: %s\n", text.Printable(out))
}
