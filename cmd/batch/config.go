package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"strings"

	"batch/internal/secret"
	"batch/internal/text"
	"batch/night"
)

// configCmd prints the effective settings and where each came from.
func configCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			io.WriteString(stdout, help("config"))
			return exitOK
		}
	}
	o, _, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "archivo de configuración: %s\n", cmp.Or(o.config, "ninguno"))
	o.flags.VisitAll(func(fl *flag.Flag) {
		if fl.Name == "config" {
			return
		}
		value := fl.Value.String()
		if isSecret(fl.Name) {
			value = defined(value)
		}
		fmt.Fprintf(stdout, "  %-32s %-28s (%s)\n", fl.Name, text.Printable(value), o.sources[fl.Name])
	})
	nightOf := o.file != nil && len(o.file.Companies) > 0
	secrets := secretVars
	if nightOf {
		secrets = secrets[1:] // each company's token is its own variable's
	}
	for _, v := range secrets {
		fmt.Fprintf(stdout, "  %-32s %s\n", v, defined(getenv(v)))
	}
	if nightOf {
		return showNight(o, getenv, stdout, stderr)
	}
	path, temporary, err := night.JournalPath(journalPlace(o.runJournal(), getenv), o.Sandbox, o.DryRun)
	if err != nil {
		return fail(stderr, err)
	}
	if temporary {
		path = "uno temporal, solo de esta ejecución (--sandbox)"
	}
	fmt.Fprintf(stdout, "diario: %s\n", text.Printable(path))
	return exitOK
}

// defined says whether a variable holds a value, never the value.
func defined(v string) string { return map[bool]string{true: "definido", false: "falta"}[v != ""] }

// showNight prints the night of several companies as it would run now:
// the journal, each company with its variables, what each pattern finds
// and where each output goes.
func showNight(o *runOptions, getenv func(string) string, stdout, stderr io.Writer) int {
	plan, words := nightPlan(o, getenv, secret.KnownOf(stderr))
	pv, err := night.NewNight(plan).Preview()
	if err != nil {
		return failNight(stderr, err, words)
	}
	if pv.Journal == "" {
		pv.Journal = "uno temporal, solo de esta noche (--sandbox)"
	}
	fmt.Fprintf(stdout, "diario: %s\n", text.Printable(pv.Journal))
	if pv.Summary != "" {
		fmt.Fprintf(stdout, "resumen de la noche: %s\n", text.Printable(pv.Summary))
	}
	for j, p := range pv.Night {
		fmt.Fprintf(stdout, "archivos de la noche «%s»: %d ahora (la columna Obligado reparte sus filas)%s\n", text.Printable(p), pv.Matches[j], problem(pv.Missing[j]))
	}
	for i, c := range pv.Companies {
		w := words[c.NIT]
		fmt.Fprintf(stdout, "%s\n  token: variable %s, %s\n", text.Printable(c.Label()), w.token, defined(c.Token))
		for j, p := range c.Patterns {
			fmt.Fprintf(stdout, "  archivos «%s»: %d ahora%s\n", text.Printable(p), c.Matches[j], problem(c.Missing[j]))
		}
		fmt.Fprintf(stdout, "  libro de resultados: %s\n", text.Printable(c.Workbook))
		if c.NoInvoicer != "" {
			fmt.Fprintf(stdout, "  correos: no se envían (%s)\n", strings.TrimSuffix(c.NoInvoicer, "; no se envió"))
		} else {
			fmt.Fprintf(stdout, "  correos: cuenta de SS Integral %s, clave en %s, %s\n", c.Facturador.NIT, w.clave, defined(plan.Companies[i].Facturador.Clave))
		}
	}
	return exitOK
}

// problem is a pattern's folder trouble, as config shows it.
func problem(why string) string {
	return map[bool]string{true: " — " + text.Printable(why)}[why != ""]
}
