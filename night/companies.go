package night

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"batch"
	"batch/config"
	"batch/internal/secret"
	"batch/journal"
	"batch/nit"
	"batch/ops"
	"batch/pipeline"
	"batch/writers"
)

// Company is one obligado of a night of several: its NIT, its token (read
// by the front end from the company's own variable), its input files
// (patterns) and its workbook.
type Company struct {
	// Person is who receives the company's invoices, for files that lack
	// the columns; Facturador its SS Integral account, Clave included.
	Person     Person
	Facturador Facturador
	Nombre     string
	NIT        string
	Token      string
	Archivos   []string
	Resultados string // its workbook; "" for NIT-resultados.xlsx in Plan.OutDir. The night's date is added to its name
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
	OutDir    string // where each company's workbook and the night's summary go ("" for the working folder)
	// Archivos are the night's own files (patterns), read for every
	// company: their Obligado column says whose each row is.
	Archivos []string
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
	// Warnings went wrong on the side (the journal's record of the night).
	Warnings []error
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
// stops alone, and a file that cannot be read is that file's trouble, not
// its company's. It writes one dated workbook per company and a one-page
// summary of the night. watch gives each company's watcher. The error is
// what kept the whole night from starting: nothing was sent.
func (n *Night) Run(ctx context.Context, watch func(Company) Watcher) (Report, error) {
	p := n.plan
	if err := n.check(); err != nil {
		return Report{}, err
	}
	started := time.Now()
	// The night's own files are matched as one more company's, last.
	matches, unmatched, missing, err := companyMatches(append(slices.Clone(p.Companies), Company{Nombre: "la noche", Archivos: p.Archivos}))
	if err != nil {
		return Report{}, err
	}
	nightFiles := matches[len(p.Companies)]
	books, summary, release, err := reserveOutputs(p, started.Format("2006-01-02"))
	if err != nil {
		return Report{}, err
	}
	defer release()
	if err := collisions(p, books, summary, matches); err != nil {
		return Report{}, err
	}
	var journalOf *journal.DB
	if !p.DryRun {
		j, closeJournal, err := openJournalAt(p.Journal, p.Sandbox, false)
		if err != nil {
			return Report{}, err
		}
		defer closeJournal()
		journalOf = j
	}
	hide := []string{p.Token, p.Facturador.Clave, p.FilePassword}
	for _, c := range p.Companies {
		hide = append(hide, c.Token, c.Facturador.Clave)
	}
	files := screen(matches, p.Settings, secret.New(hide...))
	watchers := make([]Watcher, len(p.Companies))
	for i, c := range p.Companies {
		watchers[i] = watch(c)
	}
	files.tell(matches, unmatched, append(watchers, watchers[:min(1, len(watchers))]...))
	shared, sharedUnread := files.of(nightFiles)
	sharedUnread = append(sharedUnread, missing[len(p.Companies)]...)
	results := make([]CompanyOutcome, len(p.Companies))
	night := &pacers{all: map[[2]string]*pipeline.WindowPacer{}}
	cross := crossed(files.owned(matches[:len(p.Companies)]), p.Settings)
	var wg sync.WaitGroup
	for i, c := range p.Companies {
		own, unread := files.of(matches[i])
		unread = append(append(unread, missing[i]...), sharedUnread...)
		results[i].Company, results[i].Files = c, own
		if len(own) == 0 && len(shared) == 0 {
			results[i].Outcome = Outcome{Unread: unread, NoFiles: len(unread) == 0}
			watchers[i].Finished(results[i].Outcome)
			continue
		}
		s := companySettings(p.Settings, c)
		s.Out, s.Files = books[i], allBut(shared, own)
		refuse := func(row batch.Row) string { return cross.refusal(row, i, p.Companies) }
		run := companyRun{shared: journalOf, pacers: night, keep: keeps(c, own, refuse), unread: unread, noInvoicer: noInvoicer(c)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].Outcome = n.company(ctx, s, run, watchers[i])
		}()
	}
	wg.Wait()
	r := Report{Companies: results}
	if !p.DryRun {
		if r.Failed = writers.WriteNight(summary, nightRows(results)); r.Failed == nil {
			r.Summary = summary // named only once written
		}
		r.Warnings = recordRuns(journalOf, p, results, started)
		if err := keepCopy(journalOf, p.Settings); err != nil {
			r.Warnings = append(r.Warnings, err)
		}
	}
	return r, nil
}

// check refuses a night whose settings, or a company's, no run can be
// made of: nothing is sent for any company.
func (n *Night) check() error {
	for _, c := range n.plan.Companies {
		if err := companySettings(n.plan.Settings, c).Check(); err != nil {
			return &CompanyError{Company: c, Err: err}
		}
	}
	return n.plan.Settings.Check()
}

// CompanyError is a company's setting that keeps the whole night from
// running: the front end words it in that company's terms.
type CompanyError struct {
	Company Company
	Err     error
}

func (e *CompanyError) Error() string { return e.Company.Label() + ": " + e.Err.Error() }
func (e *CompanyError) Unwrap() error { return e.Err }

// company wires and sends one company's run.
func (n *Night) company(ctx context.Context, s Settings, c companyRun, w Watcher) Outcome {
	r, err := open(s, c)
	if err != nil {
		o := Outcome{Failed: err, Stopped: s.words(err), Unread: c.unread}
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

// allBut is a company's files, then the night's own files: a row naming
// the company there is its row.
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

// keeps says which rows are a company's. Every row of its own files is
// (one whose Obligado column names another company is refused: whoever can
// drop a sheet in one company's folder does not register events as
// another); of the night's own files, the rows whose Obligado names it.
// refuse says why a row of the company's own files is not sent ("" when
// nothing does): the same invoice is in another company's files.
func keeps(c Company, own []string, refuse func(batch.Row) string) func(batch.Row) (bool, string) {
	mine := map[string]bool{}
	for _, f := range own {
		mine[f] = true
	}
	want := nit.Canonical(c.NIT)
	return func(row batch.Row) (bool, string) {
		v := whose(row)
		switch {
		case !mine[row.Sheet.File]:
			return v != "" && v == want, ""
		case v != "" && v != want:
			if row.Get(batch.FieldObligado) == "" {
				return true, fmt.Sprintf("dirigida a NIT %s (NIT receptor), no a %s, en cuyo archivo está: no se envía con su token. Póngala en los archivos de esa empresa o en los archivos de la noche", v, c.Label())
			}
			return true, fmt.Sprintf("esta fila es de otra empresa (Obligado %s) y está en un archivo de %s: no se envía con su token. Póngala en los archivos de esa empresa o en los archivos de la noche", row.Get(batch.FieldObligado), c.Label())
		case refuse != nil:
			return true, refuse(row)
		}
		return true, ""
	}
}

// whose is the company a row says it is for, as batch keeps NITs: its
// Obligado column, or the NIT Receptor of a document it received; "" when
// it says neither.
func whose(row batch.Row) string {
	if v := nit.Canonical(row.Get(batch.FieldObligado)); v != "" {
		return v
	}
	return ops.Addressee(row)
}

// companySettings are the night's settings for one company: its token,
// the person who receives for it and its SS Integral account.
func companySettings(base Settings, c Company) Settings {
	s := base
	s.Obligado, s.Token, s.Person, s.Facturador = c.NIT, c.Token, c.Person, c.Facturador
	return s
}

// noInvoicer says why a company's e-mails may not go: only an SS Integral
// account whose NIT is the company's sends its invoices.
func noInvoicer(c Company) string {
	switch account := nit.Canonical(c.Facturador.NIT); {
	case account == "":
		return "esta empresa no tiene cuenta de SS Integral: configure [obligados.ssintegral] con su nit y clave_env; no se envió"
	case account != nit.Canonical(c.NIT):
		return fmt.Sprintf("la cuenta de SS Integral configurada es del NIT %s, no de esta empresa (%s): configure [obligados.ssintegral] con su propio nit y clave_env; no se envió", c.Facturador.NIT, c.NIT)
	}
	return ""
}

// nightRows are the summary's rows, one per company.
func nightRows(results []CompanyOutcome) []writers.NightRow {
	rows := make([]writers.NightRow, len(results))
	for i, r := range results {
		rows[i] = writers.NightRow{NIT: r.NIT, Nombre: r.Nombre, Files: len(r.Files), Workbook: r.Out, Summary: r.Summary,
			Code: int(r.Verdict()), Stopped: r.Stopped, Unread: r.Unread, NoFiles: r.NoFiles}
	}
	return rows
}

// recordRuns keeps in the journal how each company's night ended, for
// batch pendientes to name the ones that did not run or left files unread.
func recordRuns(j *journal.DB, p Plan, results []CompanyOutcome, started time.Time) []error {
	var errs []error
	ambiente := environment(p.Settings)
	for _, r := range results {
		var (
			problems []string
			cause    = r.Failed
			stopped  *Stopped
		)
		if cause == nil && errors.As(r.Err, &stopped) {
			cause = stopped
		}
		if cause != nil {
			problems = append(problems, r.Stopped)
		}
		for _, u := range r.Unread {
			problems = append(problems, "sin leer "+u.Path+": "+u.Reason)
		}
		if err := j.Ledger(ambiente, r.NIT).RecordRun(started, time.Now(), int(r.Verdict()), strings.Join(problems, "; "), cause); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Preview is a night of several companies as it would run now: where its
// journal and outputs go, and what each company's patterns find.
type Preview struct {
	Journal   string // "" for a temporary one (a sandbox night)
	Summary   string
	Companies []CompanyPreview
	// Night are the night's own patterns, and what each matches now.
	Night   []string
	Matches []int
	Missing []string // why each pattern's folder cannot be looked in, or ""

}

// CompanyPreview is one company's part of a Preview.
type CompanyPreview struct {
	Company
	Patterns   []string
	Matches    []int    // files each pattern matches now
	Missing    []string // why each pattern's folder cannot be looked in, or ""
	Workbook   string   // where its workbook would go
	NoInvoicer string   // why its e-mails would not be sent, if they would not
}

// Preview says what Run would do now, without reading a file or sending.
func (n *Night) Preview() (Preview, error) {
	p := n.plan
	if err := n.check(); err != nil {
		return Preview{}, err
	}
	journalPath, _, err := JournalPath(p.Journal, p.Sandbox, p.DryRun)
	if err != nil {
		return Preview{}, err
	}
	books, summary := outputs(p, time.Now().Format("2006-01-02"))
	pv := Preview{Journal: journalPath, Summary: summary}
	for _, pattern := range p.Archivos {
		m, _, missing, err := companyMatches([]Company{{Archivos: []string{pattern}}})
		if err != nil {
			return Preview{}, err
		}
		pv.Night, pv.Matches, pv.Missing = append(pv.Night, pattern), append(pv.Matches, len(m[0])), append(pv.Missing, why(missing[0]))
	}
	if p.DryRun {
		pv.Summary = ""
	}
	for i, c := range p.Companies {
		cp := CompanyPreview{Company: c, Workbook: books[i], NoInvoicer: noInvoicer(c)}
		for _, pattern := range c.Archivos {
			m, _, missing, err := companyMatches([]Company{{Archivos: []string{pattern}}})
			if err != nil {
				return Preview{}, err
			}
			cp.Patterns, cp.Matches, cp.Missing = append(cp.Patterns, pattern), append(cp.Matches, len(m[0])), append(cp.Missing, why(missing[0]))
		}
		pv.Companies = append(pv.Companies, cp)
	}
	return pv, nil
}

// why is the reason of the first folder that cannot be looked in, or "".
func why(missing []writers.Unread) string {
	if len(missing) == 0 {
		return ""
	}
	return missing[0].Path + ": " + missing[0].Reason
}

// WriteJSON writes the night's figures for automation, a line per company.
func (r Report) WriteJSON(w io.Writer) error {
	return writers.WriteNightJSON(w, r.Summary, int(r.Verdict()), nightRows(r.Companies))
}

// CompanyOf is a company of the configuration file as the night runs it:
// its token read from its variable, the person who receives for it and
// its own SS Integral account over the file's defaults. foreign says the
// account is another NIT's without a clave_env of its own: its clave is
// never the file's default one.
func CompanyOf(base Settings, c config.Company, getenv func(string) string) (company Company, foreign bool) {
	company = Company{Nombre: c.Nombre, NIT: c.NIT, Token: getenv(c.TokenEnv), Archivos: c.Archivos, Resultados: c.Resultados,
		Person: base.Person, Facturador: base.Facturador}
	p, pc := &company.Person, c.Persona
	for _, o := range []struct{ to, from *string }{{&p.TipoIdentificacion, pc.TipoIdentificacion}, {&p.Identificacion, pc.Identificacion},
		{&p.Nombres, pc.Nombres}, {&p.Apellidos, pc.Apellidos}, {&p.Cargo, pc.Cargo}, {&p.Area, pc.Area}} {
		overlay(o.to, o.from)
	}
	a := c.SSIntegral
	if !a.Set {
		return company, false
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
		f.Clave = getenv(a.ClaveEnv)
	case f.NIT != base.Facturador.NIT:
		f.Clave = ""
		return company, true
	}
	return company, false
}

// overlay sets *to to what the configuration says, where it says it.
func overlay[T any](to, from *T) {
	if from != nil {
		*to = *from
	}
}
