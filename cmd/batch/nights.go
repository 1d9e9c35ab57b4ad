package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"batch"
	"batch/config"
	"batch/night"
)

// nightCmd runs every obligado of the configuration file at once, each
// with its token read from its own variable, and prints a line per company
// and the night's summary. Its exit code is the worst company's.
func nightCmd(opts runFlags, getenv func(string) string, stdout, stderr io.Writer) int {
	plan, words, err := nightPlan(opts, getenv)
	if err != nil {
		return fail(stderr, err)
	}
	n := night.NewNight(plan)
	ctx, stopWatching := watchSignals(opts.grace, n.Abandon, stderr)
	defer stopWatching()
	var lines sync.Mutex // one line at a time on stderr
	each := opts
	each.json = false
	rep, err := n.Run(ctx, func(c night.Company) night.Watcher {
		con := newConsole(each, &prefixed{prefix: "[" + terminalSafe(c.Label()) + "] ", w: stderr, mu: &lines})
		con.who = words[c.NIT]
		return con
	})
	if err != nil {
		return fail(stderr, err)
	}
	if rep.Failed != nil {
		fail(stderr, rep.Failed)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "batch: %v\n", w)
	}
	worst := int(rep.Verdict())
	if !opts.quiet {
		for _, c := range rep.Companies {
			fmt.Fprintf(stderr, "batch: %s: código %d, %d filas, %s\n", terminalSafe(c.Label()), int(c.Verdict()), c.Summary.Rows, statusLine(c))
		}
		if rep.Summary != "" {
			fmt.Fprintf(stderr, "batch: resumen de la noche: %s\n", terminalSafe(rep.Summary))
		}
	}
	if opts.json {
		writeNightJSON(stdout, rep, worst)
	}
	return worst
}

// nightPlan is the configuration file's night, with each company's
// secrets read from its own variables, and the words of its messages.
func nightPlan(opts runFlags, getenv func(string) string) (night.Plan, map[string]*companyWords, error) {
	plan := night.Plan{Settings: opts.settings(nil, getenv), OutDir: opts.outDir, Archivos: opts.nightFiles}
	words := map[string]*companyWords{}
	var names []string
	for _, c := range opts.obligados {
		names = append(names, c.TokenEnv, c.SSIntegral.ClaveEnv)
	}
	knownSecrets(getenv, names...)
	for _, c := range opts.obligados {
		company, w, err := companyOf(plan.Settings, c, getenv)
		if err != nil {
			return plan, nil, fmt.Errorf("el archivo de configuración %s, obligado %s: %w", opts.config, c.NIT, err)
		}
		plan.Companies = append(plan.Companies, company)
		words[c.NIT] = w
	}
	return plan, words, nil
}

// statusLine says in words whether a company's night is clean.
func statusLine(c night.CompanyOutcome) string {
	var parts []string
	switch {
	case c.NoFiles:
		return "sin archivos"
	case c.Failed != nil:
		parts = append(parts, "no se ejecutó")
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

func writeNightJSON(w io.Writer, rep night.Report, worst int) {
	type one struct {
		Obligado     string         `json:"obligado"`
		Nombre       string         `json:"nombre,omitempty"`
		Resultados   string         `json:"resultados"`
		CodigoSalida int            `json:"codigo_salida"`
		Detenido     string         `json:"detenido,omitempty"`
		Filas        int            `json:"filas"`
		Estados      map[string]int `json:"estados"`
	}
	out := struct {
		Resumen      string `json:"resumen"`
		CodigoSalida int    `json:"codigo_salida"`
		Obligados    []one  `json:"obligados"`
	}{Resumen: rep.Summary, CodigoSalida: worst}
	for _, c := range rep.Companies {
		e := one{Obligado: c.NIT, Nombre: c.Nombre, Resultados: c.Out, CodigoSalida: int(c.Verdict()), Detenido: c.Stopped,
			Filas: c.Summary.Rows, Estados: map[string]int{}}
		for st, n := range c.Summary.ByStatus() {
			e.Estados[string(st)] = n
		}
		out.Obligados = append(out.Obligados, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

// prefixed writes each whole line with a prefix, one writer at a time:
// several companies share one log.
type prefixed struct {
	prefix string
	w      io.Writer
	mu     *sync.Mutex
	buf    bytes.Buffer
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	for {
		i := bytes.IndexByte(p.buf.Bytes(), '\n')
		if i < 0 {
			return len(b), nil
		}
		line := p.buf.Next(i + 1)
		if _, err := io.WriteString(p.w, p.prefix+string(line)); err != nil {
			return 0, err
		}
	}
}

// companyWords are the names a company's messages give its secrets: the
// variables its configuration names.
type companyWords struct {
	label, tokenEnv, claveEnv string
}

// hint names the company's own variables where a single run would name
// the tool's.
func (w *companyWords) hint(e *batch.Error) (string, bool) {
	ss := e.Service == batch.ServiceSSIntegral
	switch {
	case e.Kind == batch.KindNoSecret && ss:
		return fmt.Sprintf(": defina la variable de entorno %s (la clave de SS Integral de %s)", w.claveEnv, w.label), true
	case e.Kind == batch.KindNoSecret:
		return fmt.Sprintf(": defina la variable de entorno %s (token_env de %s)", w.tokenEnv, w.label), true
	case e.Kind == batch.KindCredentials && ss:
		return fmt.Sprintf(": revise el nit de [obligados.ssintegral] de %s y la clave en la variable %s", w.label, w.claveEnv), true
	case e.Kind == batch.KindCredentials:
		return fmt.Sprintf(": revise la variable %s (token_env de %s) y que su token sea el de ese obligado", w.tokenEnv, w.label), true
	}
	return "", false
}

// companyOf is a company of the configuration file as the night runs it:
// its token read from its variable, the person who receives for it and its
// own SS Integral account over the file's defaults.
func companyOf(base night.Settings, c config.Company, getenv func(string) string) (night.Company, *companyWords, error) {
	company := night.Company{Nombre: c.Nombre, NIT: c.NIT, Token: getenv(c.TokenEnv), Archivos: c.Archivos, Resultados: c.Resultados,
		Person: base.Person, Facturador: base.Facturador}
	label := company.Label()
	w := &companyWords{label: label, tokenEnv: c.TokenEnv, claveEnv: "SSINTEGRAL_CLAVE"}
	p, pc := &company.Person, c.Persona
	for _, o := range []struct{ to, from *string }{{&p.TipoIdentificacion, pc.TipoIdentificacion}, {&p.Identificacion, pc.Identificacion},
		{&p.Nombres, pc.Nombres}, {&p.Apellidos, pc.Apellidos}, {&p.Cargo, pc.Cargo}, {&p.Area, pc.Area}} {
		overlay(o.to, o.from)
	}
	if err := verifyPerson(*p); err != nil {
		return company, w, err
	}
	a := c.SSIntegral
	if !a.Set {
		return company, w, nil
	}
	f := &company.Facturador
	for _, o := range []struct{ to, from *string }{{&f.NIT, a.NIT}, {&f.Server, a.Server}, {&f.MailAreaFacturacion, a.MailFacturacion},
		{&f.RazonSocial, a.RazonSocial}, {&f.DigitoVerificacion, a.DV}, {&f.TipoIdentificacion, a.TipoIdentificacion}} {
		overlay(o.to, o.from)
	}
	overlay(&f.CodigoEmpresa, a.CodigoEmpresa)
	overlay(&f.TipoAmbiente, a.TipoAmbiente)
	switch {
	case a.ClaveEnv != "":
		f.Clave, w.claveEnv = getenv(a.ClaveEnv), a.ClaveEnv
	case f.NIT != base.Facturador.NIT:
		// Another account's clave is never this one's.
		f.Clave, w.claveEnv = "", "de clave_env en [obligados.ssintegral]"
	}
	return company, w, nil
}

// overlay sets *to to what the configuration says, where it says it.
func overlay[T any](to *T, from *T) {
	if from != nil {
		*to = *from
	}
}
