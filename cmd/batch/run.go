package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"

	"batch/config"
	"batch/internal/progress"
	"batch/internal/secret"
	"batch/internal/text"
	"batch/night"
)

// runCmd is a run's story: parse, open, send, report, and the exit code.
// A configuration file that lists obligados makes it a night of several
// companies (nightCmd).
func runCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, files, err := parseRun(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return failAs(stderr, err, o.names())
	}
	if o.file != nil && len(o.file.Companies) > 0 {
		return nightCmd(o, getenv, stdout, stderr)
	}
	s := o.settings(files, getenv)
	stop, err := night.Rehearse(&s, nil)
	if err != nil {
		return failAs(stderr, err, o.names())
	}
	defer stop()
	r, err := night.Open(s)
	if err != nil {
		return failAs(stderr, err, o.names())
	}
	defer r.Close()
	ctx, stopWatching := watchSignals(o.Grace, r.Abandon, stderr)
	defer stopWatching()
	out := r.Send(ctx, newConsole(o, stderr, single, secret.KnownOf(stderr)))
	code := int(out.Verdict())
	if o.json && out.Failed == nil {
		out.WriteJSON(stdout)
	}
	return code
}

// nightCmd runs every obligado of the configuration file at once, each
// with its token read from its own variable, and prints a line per company
// and the night's summary. Its exit code is the worst company's.
func nightCmd(o *runOptions, getenv func(string) string, stdout, stderr io.Writer) int {
	known := secret.KnownOf(stderr)
	plan, words := nightPlan(o, getenv, known)
	stop, err := night.Rehearse(&plan.Settings, plan.Companies)
	if err != nil {
		return fail(stderr, err)
	}
	defer stop()
	n := night.NewNight(plan)
	ctx, stopWatching := watchSignals(o.Grace, n.Abandon, stderr)
	defer stopWatching()
	var lines sync.Mutex // one line at a time on stderr
	rep, err := n.Run(ctx, func(c night.Company) night.Watcher {
		return newConsole(o, progress.Prefixed("["+text.Printable(c.Label())+"] ", stderr, &lines), words[c.NIT], known)
	})
	if err != nil {
		return failNight(stderr, err, words)
	}
	if rep.Failed != nil {
		fail(stderr, rep.Failed)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "batch: %v\n", w)
	}
	worst := int(rep.Verdict())
	if !o.quiet {
		for _, c := range rep.Companies {
			fmt.Fprintf(stderr, "batch: %s: código %d, %d filas, %s\n", text.Printable(c.Label()), int(c.Verdict()), c.Summary.Rows, statusLine(c))
		}
		if rep.Summary != "" {
			fmt.Fprintf(stderr, "batch: resumen de la noche: %s\n", text.Printable(rep.Summary))
		}
	}
	if o.json {
		rep.WriteJSON(stdout)
	}
	return worst
}

// nightPlan is the configuration file's night, with each company's
// secrets read from its own variables (known from then on), and the words
// of its messages.
func nightPlan(o *runOptions, getenv func(string) string, known *secret.Known) (night.Plan, map[string]*names) {
	file := o.file
	plan := night.Plan{Settings: o.settings(nil, getenv), OutDir: file.OutDir, Archivos: file.Archivos}
	words := map[string]*names{}
	for i, c := range file.Companies {
		know(known, getenv, c.TokenEnv, c.SSIntegral.ClaveEnv)
		company, w := companyOf(plan.Settings, c, getenv)
		w.where = func(setting string) string { return cmp.Or(file.Where(i+1, setting), file.Where(0, setting)) }
		plan.Companies = append(plan.Companies, company)
		words[c.NIT] = w
	}
	return plan, words
}

// companyOf is a company of the configuration file as the night runs it,
// and the words of its messages.
func companyOf(base night.Settings, c config.Company, getenv func(string) string) (night.Company, *names) {
	company, foreign := night.CompanyOf(base, c, getenv)
	w := companyNames(c)
	if foreign {
		w.clave = "de clave_env en [obligados.ssintegral]"
	}
	return company, w
}

// companyNames are what a company's messages call the variables of its
// secrets.
func companyNames(c config.Company) *names {
	w := &names{company: night.Company{Nombre: c.Nombre, NIT: c.NIT}.Label(), token: c.TokenEnv, clave: "SSINTEGRAL_CLAVE"}
	if c.SSIntegral.Set && c.SSIntegral.ClaveEnv != "" {
		w.clave = c.SSIntegral.ClaveEnv
	}
	return w
}

// statusLine says in words whether a company's night is clean.
func statusLine(c night.CompanyOutcome) string {
	var parts []string
	switch {
	case c.NoFiles:
		return "sin archivos"
	case c.Failed != nil && c.Summary.Attempts > 0:
		parts = append(parts, fmt.Sprintf("se hicieron %d solicitudes, con sus respuestas en el diario (no se repetirán), pero el libro no se pudo escribir", c.Summary.Attempts))
	case c.Failed != nil:
		parts = append(parts, "no se ejecutó")
	case c.Verdict() == night.Interrupted:
		parts = append(parts, "interrumpida: lo que no se envió queda PENDIENTE para la próxima noche")
	case c.Out != "" && !c.Summary.Complete():
		parts = append(parts, "hay filas que atender")
	}
	if n := len(c.Unread); n > 0 {
		parts = append(parts, fmt.Sprintf("%d archivos sin leer", n))
	}
	if len(parts) == 0 {
		return "todo OK"
	}
	return strings.Join(parts, "; ")
}
