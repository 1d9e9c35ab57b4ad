package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/cells"
	"batch/journal"
	"batch/ops"
	"batch/readers"
)

// companyResult is one company's night, for the summary.
type companyResult struct {
	company
	files []string
	code  int
	night nightResult
}

// runCompanies runs every obligado of the configuration file at once, each
// with its own token, pacer, provider gates and lock, over the one journal;
// a company whose token is refused stops alone. It writes one workbook per
// company and a one-page summary of the night, and returns the worst exit.
func runCompanies(base runFlags, getenv func(string) string, stdout, stderr io.Writer) int {
	outDir := base.outDir
	if outDir == "" {
		outDir = "."
	}
	if !base.dryRun {
		shared, done, err := openShared(base, getenv)
		if err != nil {
			return fail(stderr, err)
		}
		defer done()
		base.shared = shared
	}
	results := make([]companyResult, len(base.obligados))
	var (
		wg  sync.WaitGroup
		out sync.Mutex // one line at a time on stderr
	)
	own, all := companyFiles(base)
	shared := withObligadoColumn(all, base)
	for i, c := range base.obligados {
		results[i].company = c
		w := &prefixed{prefix: "[" + label(c) + "] ", w: stderr, mu: &out}
		if own[i].err != nil {
			results[i].code, results[i].night.stopped = fail(w, own[i].err), own[i].err.Error()
			continue
		}
		results[i].files = own[i].files
		files := allBut(shared, own[i].files)
		opts := companyOptions(base, c, outDir)
		opts.keep = keeps(c.NIT, own[i].files)
		env := func(k string) string {
			switch k {
			case "AFACTURAR_TOKEN":
				return getenv(c.TokenEnv)
			case "AFACTURAR_OBLIGADO":
				return c.NIT
			}
			return getenv(k)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].code, results[i].night = runNight(opts, files, env, io.Discard, w)
		}()
	}
	wg.Wait()
	return nightSummary(results, outDir, base, stdout, stderr)
}

// openShared opens the journal every company of the night writes to: one
// database and one connection, so that their commits queue instead of
// contending for SQLite's lock.
func openShared(base runFlags, getenv func(string) string) (*journal.Journal, func(), error) {
	path, temp := base.journal, ""
	if path == "" && base.sandbox {
		// As for one company: the simulator forgets, so does its journal.
		dir, err := os.MkdirTemp("", "batch-sandbox-")
		if err != nil {
			return nil, nil, err
		}
		path, temp = filepath.Join(dir, "journal.db"), dir
	}
	if path == "" {
		var err error
		if path, err = journal.DefaultPath(getenv); err != nil {
			return nil, nil, err
		}
	}
	j, err := journal.Open(path, "")
	if err != nil {
		return nil, nil, err
	}
	return j, func() {
		j.Close()
		if temp != "" {
			os.RemoveAll(temp)
		}
	}, nil
}

// ownFiles are one company's files, or why it has none.
type ownFiles struct {
	files []string
	err   error
}

// companyFiles expands every company's patterns; all is every file of the
// night, each once.
func companyFiles(base runFlags) ([]ownFiles, []string) {
	own := make([]ownFiles, len(base.obligados))
	seen := map[string]bool{}
	var all []string
	for i, c := range base.obligados {
		own[i].files, own[i].err = expand(c.Archivos, filepath.Dir(base.config))
		for _, f := range own[i].files {
			if !seen[f] {
				seen[f] = true
				all = append(all, f)
			}
		}
	}
	return own, all
}

// withObligadoColumn are the files of the night with an Obligado column:
// the only ones a company reads besides its own.
func withObligadoColumn(files []string, base runFlags) []string {
	var out []string
	for _, f := range files {
		in, err := readers.Open(f, readers.Options{Keys: ops.KeyFields(nil), Password: base.claveArchivo, HiddenSheets: base.hiddenSheets})
		if err != nil {
			continue // its own company says what is wrong with it
		}
		for _, sh := range in.Sheets() {
			if _, ok := sh.Index[batch.FieldObligado]; ok {
				out = append(out, f)
				break
			}
		}
		in.Close()
	}
	return out
}

// allBut is a company's files, then the night's other files that have an
// Obligado column: a row naming the company there is its row, whatever
// file it is in.
func allBut(all, own []string) []string {
	mine := map[string]bool{}
	for _, f := range own {
		mine[f] = true
	}
	out := append([]string(nil), own...)
	for _, f := range all {
		if !mine[f] {
			out = append(out, f)
		}
	}
	return out
}

// keeps says which rows are a company's: those whose Obligado column
// names its NIT, and, where the column is absent or empty, those of its
// own files.
func keeps(nit string, own []string) func(batch.Row) bool {
	mine := map[string]bool{}
	for _, f := range own {
		mine[f] = true
	}
	want := cells.Digits(nit)
	return func(row batch.Row) bool {
		if v := cells.Digits(row.Get(batch.FieldObligado)); v != "" {
			return v == want
		}
		return mine[row.Sheet.File]
	}
}

// companyOptions are the night's options for one company.
func companyOptions(base runFlags, c company, outDir string) runFlags {
	opts := base
	opts.obligado, opts.obligados, opts.json = c.NIT, nil, false
	opts.out = c.Resultados
	if opts.out == "" {
		opts.out = filepath.Join(outDir, c.NIT+"-resultados.xlsx")
	}
	return opts
}

func label(c company) string {
	if c.Nombre != "" {
		return c.Nombre + " " + c.NIT
	}
	return c.NIT
}

// expand turns a company's file patterns, relative to the configuration
// file's folder, into the files they name.
func expand(patterns []string, dir string) ([]string, error) {
	var files []string
	for _, p := range patterns {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, fmt.Errorf("el patrón de archivos «%s» no es válido: %v", p, err)
		}
		sort.Strings(matches)
		files = append(files, matches...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("ningún archivo coincide con %v", patterns)
	}
	return files, nil
}

// nightSummary writes the night's one-page summary, prints a line per
// company, and returns the worst exit code.
func nightSummary(results []companyResult, outDir string, base runFlags, stdout, stderr io.Writer) int {
	worst := exitOK
	for _, r := range results {
		worst = max(worst, r.code)
	}
	path := filepath.Join(outDir, "noche-"+time.Now().Format("2006-01-02")+".xlsx")
	if err := writeNight(path, results); err != nil {
		fail(stderr, err)
		worst = exitNothing
	}
	if !base.quiet {
		for _, r := range results {
			fmt.Fprintf(stderr, "batch: %s: código %d, %d filas, %s\n", label(r.company), r.code, r.night.sum.Rows, statusLine(r.night.sum))
		}
		fmt.Fprintf(stderr, "batch: resumen de la noche: %s\n", path)
	}
	if base.json {
		writeNightJSON(stdout, results, path, worst)
	}
	return worst
}

var nightStatuses = []batch.Status{batch.StatusOK, batch.StatusYaRegistrado, batch.StatusRevisar, batch.StatusRechazado,
	batch.StatusInvalido, batch.StatusError, batch.StatusPendiente}

// counts adds up a night's rows per status across its operations.
func counts(sum map[string]map[batch.Status]int) map[batch.Status]int {
	out := map[batch.Status]int{}
	for _, m := range sum {
		for st, n := range m {
			out[st] += n
		}
	}
	return out
}

// statusLine says in words whether a company's night is clean.
func statusLine(sum batch.Summary) string {
	if sum.Complete() {
		return "todo OK"
	}
	return "hay filas que atender"
}

// writeNight writes one row per company: its counts, its workbook and how
// it ended.
func writeNight(path string, results []companyResult) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Noche"
	f.SetSheetName("Sheet1", sheet)
	head := []any{"obligado", "nombre", "archivos", "libro de resultados", "filas", "solicitudes"}
	for _, st := range nightStatuses {
		head = append(head, string(st))
	}
	head = append(head, "código de salida", "detenido")
	rows := [][]any{head}
	for _, r := range results {
		c := counts(r.night.sum.Statuses)
		row := []any{r.NIT, r.Nombre, len(r.files), r.night.out, r.night.sum.Rows, r.night.sum.Requests}
		for _, st := range nightStatuses {
			row = append(row, c[st])
		}
		rows = append(rows, append(row, r.code, r.night.stopped))
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	if err := f.SaveAs(path); err != nil {
		return fmt.Errorf("no se pudo escribir el resumen de la noche %s: %w", path, err)
	}
	return nil
}

func writeNightJSON(w io.Writer, results []companyResult, path string, worst int) {
	type one struct {
		Obligado     string         `json:"obligado"`
		Nombre       string         `json:"nombre,omitempty"`
		Resultados   string         `json:"resultados"`
		CodigoSalida int            `json:"codigo_salida"`
		Detenido     string         `json:"detenido,omitempty"`
		Filas        int            `json:"filas"`
		Estados      map[string]int `json:"estados"`
	}
	night := struct {
		Resumen      string `json:"resumen"`
		CodigoSalida int    `json:"codigo_salida"`
		Obligados    []one  `json:"obligados"`
	}{Resumen: path, CodigoSalida: worst}
	for _, r := range results {
		e := one{Obligado: r.NIT, Nombre: r.Nombre, Resultados: r.night.out, CodigoSalida: r.code, Detenido: r.night.stopped,
			Filas: r.night.sum.Rows, Estados: map[string]int{}}
		for st, n := range counts(r.night.sum.Statuses) {
			e.Estados[string(st)] = n
		}
		night.Obligados = append(night.Obligados, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(night)
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
