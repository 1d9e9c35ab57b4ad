package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"batch/night"
)

// nightCmd runs every obligado of the configuration file at once, each
// with its token read from its own variable, and prints a line per company
// and the night's summary. Its exit code is the worst company's.
func nightCmd(opts runFlags, getenv func(string) string, stdout, stderr io.Writer) int {
	plan := night.Plan{Settings: opts.settings(nil, getenv), OutDir: opts.outDir, Dir: filepath.Dir(opts.config)}
	for _, c := range opts.obligados {
		plan.Companies = append(plan.Companies, night.Company{Nombre: c.Nombre, NIT: c.NIT, Token: getenv(c.TokenEnv),
			Archivos: c.Archivos, Resultados: c.Resultados})
	}
	n := night.NewNight(plan)
	ctx, stopWatching := watchSignals(opts.grace, n.Abandon, stderr)
	defer stopWatching()
	var lines sync.Mutex // one line at a time on stderr
	each := opts
	each.json = false
	rep, err := n.Run(ctx, func(c night.Company) night.Watcher {
		return newConsole(each, &prefixed{prefix: "[" + c.Label() + "] ", w: stderr, mu: &lines})
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
			fmt.Fprintf(stderr, "batch: resumen de la noche: %s\n", rep.Summary)
		}
	}
	if opts.json {
		writeNightJSON(stdout, rep, worst)
	}
	return worst
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
