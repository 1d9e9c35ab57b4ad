package night

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"batch"
	"batch/cells"
	"batch/journal"
	"batch/ops"
	"batch/readers"
	"batch/writers"
)

// Company is one obligado of a night of several: its NIT, its token (read
// by the front end from the company's own variable), its input files
// (patterns) and its workbook.
type Company struct {
	Nombre     string
	NIT        string
	Token      string
	Archivos   []string
	Resultados string // its workbook; "" for NIT-resultados.xlsx in Plan.OutDir
}

// Label names a company in the log.
func (c Company) Label() string {
	if c.Nombre != "" {
		return c.Nombre + " " + c.NIT
	}
	return c.NIT
}

// Plan is a night of several companies: the settings they share, and each
// company's own.
type Plan struct {
	Settings  // every company's, but its obligado, token, files and workbook
	Companies []Company
	OutDir    string // where each company's workbook and the night's summary go ("" for the current folder)
	Dir       string // the folder the file patterns are relative to (the configuration file's)
}

// CompanyOutcome is one company's night.
type CompanyOutcome struct {
	Company
	Files []string // its own files
	Outcome
}

// Report is how a night of several companies ended.
type Report struct {
	Summary   string // the night's one-page summary workbook; "" for a dry run, which writes none
	Companies []CompanyOutcome
	// Failed is the summary that could not be written.
	Failed error
}

// Verdict is the worst of the companies'.
func (r Report) Verdict() Verdict {
	worst := Clean
	for _, c := range r.Companies {
		worst = max(worst, c.Verdict())
	}
	if r.Failed != nil {
		worst = Nothing
	}
	return worst
}

// Night is a night of several companies under way.
type Night struct {
	plan Plan

	mu        sync.Mutex
	runs      []*Run
	abandoned bool
}

// NewNight prepares a night of several companies; nothing is opened yet.
func NewNight(p Plan) *Night { return &Night{plan: p} }

// Run runs every company at once, each with its own token, pacer, provider
// gates and lock, over the one journal; a company whose token is refused
// stops alone. It writes one workbook per company and a one-page summary
// of the night. watch gives each company's watcher. The error is the
// journal's: nothing ran.
func (n *Night) Run(ctx context.Context, watch func(Company) Watcher) (Report, error) {
	p := n.plan
	outDir := p.OutDir
	if outDir == "" {
		outDir = "."
	}
	var shared *journal.Journal
	if !p.DryRun {
		j, closeJournal, err := openJournal(p.Journal, p.Sandbox, false)
		if err != nil {
			return Report{}, err
		}
		defer closeJournal()
		shared = j
	}
	results := make([]CompanyOutcome, len(p.Companies))
	own, all := n.companyFiles()
	withColumn := n.withObligadoColumn(all)
	var wg sync.WaitGroup
	for i, c := range p.Companies {
		results[i].Company = c
		w := watch(c)
		if own[i].err != nil {
			results[i].Outcome = Outcome{Failed: own[i].err, Stopped: w.Explain(own[i].err)}
			w.Finished(results[i].Outcome)
			continue
		}
		results[i].Files = own[i].files
		s := companySettings(p.Settings, c, outDir)
		s.Files = allBut(withColumn, own[i].files)
		keep := keeps(c.NIT, own[i].files)
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].Outcome = n.company(ctx, s, shared, keep, w)
		}()
	}
	wg.Wait()
	r := Report{Companies: results}
	if !p.DryRun {
		// A dry run writes its revisions only: last night's summary stays.
		r.Summary = filepath.Join(outDir, "noche-"+time.Now().Format("2006-01-02")+".xlsx")
		r.Failed = writers.WriteNight(r.Summary, nightRows(results))
	}
	return r, nil
}

// company wires and sends one company's run.
func (n *Night) company(ctx context.Context, s Settings, shared *journal.Journal, keep func(batch.Row) bool, w Watcher) Outcome {
	r, err := open(s, shared, keep)
	if err != nil {
		o := Outcome{Failed: err, Stopped: w.Explain(err)}
		w.Finished(o)
		return o
	}
	defer r.Close()
	n.mu.Lock()
	n.runs = append(n.runs, r)
	abandoned := n.abandoned
	n.mu.Unlock()
	if abandoned {
		r.Abandon()
	}
	return r.Send(ctx, w)
}

// Abandon removes every company's unfinished workbook, for a front end
// that ends the process at once.
func (n *Night) Abandon() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.abandoned = true
	for _, r := range n.runs {
		r.Abandon()
	}
}

// ownFiles are one company's files, or why it has none.
type ownFiles struct {
	files []string
	err   error
}

// companyFiles expands every company's patterns; all is every file of the
// night, each once.
func (n *Night) companyFiles() ([]ownFiles, []string) {
	own := make([]ownFiles, len(n.plan.Companies))
	seen := map[string]bool{}
	var all []string
	for i, c := range n.plan.Companies {
		own[i].files, own[i].err = expand(c.Archivos, n.plan.Dir)
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
func (n *Night) withObligadoColumn(files []string) []string {
	var out []string
	for _, f := range files {
		in, err := readers.Open(f, readers.Options{Keys: ops.KeyFields(nil), Password: n.plan.FilePassword, HiddenSheets: n.plan.HiddenSheets})
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

// companySettings are the night's settings for one company. A dry run's
// workbook is a revision beside the results it must not replace.
func companySettings(base Settings, c Company, outDir string) Settings {
	s := base
	s.Obligado, s.Token = c.NIT, c.Token
	s.Out = c.Resultados
	if s.Out == "" {
		s.Out = filepath.Join(outDir, c.NIT+"-resultados.xlsx")
	}
	if s.DryRun {
		s.Out = strings.TrimSuffix(strings.TrimSuffix(s.Out, filepath.Ext(s.Out)), "-resultados") + "-revision.xlsx"
	}
	return s
}

// expand turns a company's file patterns, relative to dir, into the files
// they name.
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

// nightRows are the summary's rows, one per company.
func nightRows(results []CompanyOutcome) []writers.NightRow {
	rows := make([]writers.NightRow, len(results))
	for i, r := range results {
		rows[i] = writers.NightRow{NIT: r.NIT, Nombre: r.Nombre, Files: len(r.Files), Workbook: r.Out, Summary: r.Summary,
			Code: int(r.Verdict()), Stopped: r.Stopped}
	}
	return rows
}
