package night

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"batch"
	"batch/afacturar"
	"batch/internal/transport"
	"batch/journal"
	"batch/ops"
	"batch/pipeline"
	"batch/readers"
	"batch/ssintegral"
	"batch/writers"
)

// Run is one obligado's run wired together: its inputs, operations,
// clients, journal and workbook, ready for the pipeline. Nothing is sent
// while wiring.
type Run struct {
	s        Settings
	out      string
	inputs   []*readers.Input
	sheets   []*batch.Sheet
	wanted   map[string]bool // the operations named in Settings.Ops
	specs    []ops.Spec
	sheetsOf map[string]map[*batch.Sheet]bool
	hidden   []string // the hidden sheets left unread, for the person to know
	rest     *afacturar.Client
	soap     *ssintegral.Client
	reach    map[batch.Service]*reach // how the run reaches each provider
	pool     *pacers                  // a night's pacers; nil for a run of its own
	journal  *journal.DB              // the process's journal; nil for a dry run without one
	db       *journal.Ledger          // the journal as this run's obligado's, in its environment
	pacers   map[batch.Service]*pipeline.WindowPacer
	gates    map[batch.Service]*pipeline.Gate
	watch    Watcher
	unread   []writers.Unread // the company's files a night could not read
	// noInvoicer is why this run's e-mails may not be sent: the SS
	// Integral account is not its company's.
	noInvoicer string
	cfg        pipeline.Config
	book       *writers.Workbook
	cleanup    []func()
}

// Open wires one obligado's run, opening its own journal.
func Open(s Settings) (*Run, error) { return open(s, companyRun{}) }

// companyRun is what a night of several companies gives each company's
// run: the journal opened once for all, which rows are the company's, its
// files that could not be read, and why its e-mails may not be sent.
type companyRun struct {
	shared     *journal.DB
	pacers     *pacers // the night's, shared by the companies that share a key
	keep       func(batch.Row) (bool, string)
	unread     []writers.Unread
	noInvoicer string
}

// open wires a run step by step.
func open(s Settings, c companyRun) (*Run, error) {
	r := &Run{s: s, watch: quiet{}, unread: c.unread, noInvoicer: c.noInvoicer, pool: c.pacers}
	r.cfg.Keep = c.keep
	shared := c.shared
	steps := []func() error{
		s.Check,
		r.openInputs,
		r.outputPath,
		r.clients,
		func() error { return r.openJournal(shared) },
		r.lock,
		r.operations,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

// Close releases what wiring opened, last first.
func (r *Run) Close() {
	for i := len(r.cleanup) - 1; i >= 0; i-- {
		r.cleanup[i]()
	}
}

// openInputs opens every file and chooses the operations its sheets ask for.
func (r *Run) openInputs() error {
	wanted, err := ops.Parse(r.s.Ops)
	if err != nil {
		return err
	}
	r.wanted = wanted
	for _, path := range r.s.Files {
		in, err := readers.Open(path, readers.Options{Keys: ops.KeyFields(wanted), Password: r.s.FilePassword, HiddenSheets: r.s.HiddenSheets})
		if err != nil {
			return err
		}
		r.cleanup = append(r.cleanup, func() { in.Close() })
		r.inputs = append(r.inputs, in)
		r.sheets = append(r.sheets, in.Sheets()...)
		for _, name := range in.Skipped() {
			r.hidden = append(r.hidden, fmt.Sprintf("«%s» (%s)", name, filepath.Base(path)))
		}
	}
	r.specs, r.sheetsOf = ops.Choose(wanted, r.sheets)
	if len(r.specs) == 0 {
		return fmt.Errorf("ningún archivo tiene la columna de las operaciones pedidas (%s)", r.s.Ops)
	}
	return nil
}

// reach is how a run reaches one provider: what the provider says of
// itself, and the address, party, secret and pace the settings give it.
type reach struct {
	batch.Provider // its Rate and Window the ones this run keeps
	URL            string
	party, secret  string
}

// used are the providers the run's operations use, in registration order.
func (r *Run) used() []*reach {
	var out []*reach
	for _, p := range batch.Providers() {
		if r.uses(p.Service) {
			out = append(out, r.reach[p.Service])
		}
	}
	return out
}

// sends reports whether the run may send to service: an operation uses it,
// and the account is the company's own where the provider asks it.
func (r *Run) sends(service batch.Service) bool {
	p, _ := batch.ProviderOf(service)
	return r.uses(service) && (!p.OwnAccount || r.noInvoicer == "")
}

// uses reports whether an operation of the run spends service's limit.
func (r *Run) uses(service batch.Service) bool {
	for _, s := range r.specs {
		if s.Service == service {
			return true
		}
	}
	return false
}

// outputPath is the workbook named, or NOMBRE-resultados.xlsx beside the
// first input. A dry run does not take the name of the real results, which
// it would otherwise replace with a workbook of PENDIENTE rows.
func (r *Run) outputPath() error {
	r.out = r.s.Out
	if r.out == "" {
		suffix := "-resultados.xlsx"
		if r.s.DryRun {
			suffix = "-revision.xlsx"
		}
		first := r.s.Files[0]
		r.out = strings.TrimSuffix(first, filepath.Ext(first)) + suffix
	}
	if !strings.EqualFold(filepath.Ext(r.out), ".xlsx") {
		return &batch.Error{Kind: batch.KindOutput, Msg: r.out + ": el libro de resultados debe terminar en .xlsx"}
	}
	for _, path := range r.s.Files {
		if same(path, r.out) {
			return &batch.Error{Kind: batch.KindOutput, Msg: r.out + " es uno de los archivos de entrada; elija otro nombre para no sobrescribirlo"}
		}
	}
	return nil
}

// clients builds both providers' clients with their addresses and
// credentials, sized for the requests that may be in flight. This is the
// one place that knows each provider's client; the rest loops over
// batch.Providers().
func (r *Run) clients() error {
	f := r.s
	r.rest = &afacturar.Client{Ambiente: afacturar.AmbientePruebas, Obligado: strings.TrimSpace(f.Obligado), Token: strings.TrimSpace(f.Token)}
	if f.Ambiente == "produccion" {
		r.rest.Ambiente = afacturar.AmbienteProduccion
	}
	r.soap = &ssintegral.Client{SOAP12: f.SOAP12, Facturador: f.Facturador}
	r.soap.Facturador.NIT = strings.TrimSpace(r.soap.Facturador.NIT)
	if r.soap.Facturador.TipoAmbiente == 0 {
		r.soap.Facturador.TipoAmbiente = r.rest.Ambiente
	}
	// Each provider's party and secret, as its client holds them; a
	// provider with none here is refused by credentials, never sent to.
	held := map[batch.Service][2]string{
		batch.ServiceAfacturar:  {r.rest.Obligado, r.rest.Token},
		batch.ServiceSSIntegral: {r.soap.Facturador.NIT, r.soap.Facturador.Clave},
	}
	r.reach = map[batch.Service]*reach{}
	for _, p := range batch.Providers() {
		at := f.ReachOf(p)
		p.Rate, p.Window = at.Rate, at.Window
		r.reach[p.Service] = &reach{Provider: p, URL: at.URL, party: held[p.Service][0], secret: held[p.Service][1]}
	}
	r.rest.BaseURL = strings.TrimRight(r.reach[batch.ServiceAfacturar].URL, "/")
	r.soap.URL = r.reach[batch.ServiceSSIntegral].URL
	if err := r.credentials(); err != nil {
		return err
	}
	r.cfg.InFlight = r.inFlight()
	r.rest.HTTP = transport.NewHTTPClient(f.Timeout, r.cfg.InFlight)
	r.soap.HTTP = transport.NewHTTPClient(f.Timeout, r.cfg.InFlight)
	return nil
}

// credentials checks that the run has, for each provider it sends to, a
// party, a secret and an address they may travel to: https, or plain http
// to this machine (the simulator's, a test's). A dry run sends nothing and
// needs none.
func (r *Run) credentials() error {
	if r.s.DryRun {
		return nil
	}
	for _, p := range r.used() {
		switch {
		case !r.sends(p.Service):
		case p.secret == "":
			return &batch.Error{Kind: batch.KindNoSecret, Service: p.Service, Msg: "falta " + p.Secret}
		case p.party == "":
			return &batch.Error{Kind: batch.KindNoParty, Service: p.Service, Msg: "falta " + p.Party}
		case r.s.Sandbox && !transport.Loopback(p.URL):
			return fmt.Errorf("el simulador de %s debe estar en esta máquina, no en «%s»", p.Service, p.URL)
		case !transport.Secure(p.URL):
			return fmt.Errorf("la dirección de %s «%s» no usa https: %s viajaría sin cifrar. Use https (http solo se admite hacia esta máquina, 127.0.0.1, para pruebas)", p.Service, p.URL, p.Secret)
		}
	}
	return nil
}

// inFlight is the ceiling given, or what every provider's limit needs at
// the worst latency.
func (r *Run) inFlight() int {
	if r.s.InFlight > 0 {
		return r.s.InFlight
	}
	v := 0
	for _, p := range r.used() {
		v += neededInFlight(p.Rate, p.Window, r.s.Timeout)
	}
	return v
}

// neededInFlight is the ceiling on requests under way that lets the limit
// be reached even when every answer takes the whole timeout. Little's law:
// requests under way = rate × latency.
func neededInFlight(n int, window, timeout time.Duration) int {
	v := int(math.Ceil(float64(n)/window.Seconds()*timeout.Seconds())) + 1
	return min(max(v, 1), 2000)
}

// openJournal takes the journal of a night of several companies, or opens
// the run's own: a dry run only reads one that exists, and only for a
// party it knows.
func (r *Run) openJournal(shared *journal.DB) error {
	j := shared
	if j == nil {
		known := slices.ContainsFunc(r.used(), func(p *reach) bool { return p.party != "" })
		if r.s.DryRun && !known {
			return nil
		}
		own, closeJournal, err := openJournal(r.s.Journal, r.s.Sandbox, r.s.DryRun)
		if err != nil {
			return err
		}
		r.cleanup = append(r.cleanup, closeJournal)
		if j = own; j == nil {
			return nil
		}
	}
	r.journal, r.db = j, j.Ledger(r.ambiente(), r.rest.Obligado)
	return nil
}

// ambiente is the environment that answers this run, under which the
// journal keeps its answers apart from every other's.
func (r *Run) ambiente() string { return environment(r.s) }

func environment(s Settings) string {
	switch {
	case s.Sandbox:
		return journal.Sandbox
	case s.Ambiente == "produccion":
		return journal.Produccion
	}
	return journal.Pruebas
}

// router records each operation's keys under its provider's party: an
// invoicer's e-mails under its NIT, the rest under the obligado.
func (r *Run) router() journal.Router {
	scopes := map[string]string{}
	for _, spec := range r.specs {
		if p := r.reach[spec.Service]; p.Scope != "" {
			scopes[spec.Name] = p.Scope + p.party
		}
	}
	return r.db.Route(scopes)
}

// lock makes this the only run sending for each provider's party in this
// environment on this machine's journal; a dry run sends nothing and takes
// no lock.
func (r *Run) lock() error {
	if r.s.DryRun || r.db == nil {
		return nil
	}
	for _, p := range r.used() {
		if !r.sends(p.Service) {
			continue
		}
		code := p.Code + "-" + p.party + "-" + r.ambiente()
		unlock, err := r.journal.Lock(code, fmt.Sprintf(p.Holder, p.party)+" ("+r.ambiente()+")", r.s.WaitLock)
		if err != nil {
			return err
		}
		r.cleanup = append(r.cleanup, unlock)
	}
	return nil
}

// pace is the pacer of a provider's limit for this run. In a night there
// is one per provider and key (what the provider counts its limit by: the
// token, the NIT), shared by every company that has it.
func (r *Run) pace(p *reach) *pipeline.WindowPacer {
	if r.pool == nil {
		return pipeline.NewWindowPacer(p.Rate, p.Window)
	}
	key := p.party
	if p.KeyedBy == "token" {
		key = p.secret
	}
	return r.pool.get(p.Service, key, p.Rate, p.Window)
}

// pacers are a night's pacers, by provider and key.
type pacers struct {
	mu  sync.Mutex
	all map[[2]string]*pipeline.WindowPacer
}

func (ps *pacers) get(s batch.Service, key string, rate int, window time.Duration) *pipeline.WindowPacer {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	k := [2]string{string(s), key}
	if ps.all[k] == nil {
		ps.all[k] = pipeline.NewWindowPacer(rate, window)
	}
	return ps.all[k]
}

// operations builds the chosen operations, each with the pacer of the
// limit it spends (every Afacturar operation spends the same token's),
// the workbook and the pipeline's Config.
func (r *Run) operations() error {
	f := r.s
	r.pacers, r.gates = map[batch.Service]*pipeline.WindowPacer{}, map[batch.Service]*pipeline.Gate{}
	for _, p := range batch.Providers() {
		r.pacers[p.Service] = r.pace(r.reach[p.Service])
		r.gates[p.Service] = &pipeline.Gate{Name: string(p.Service), FirstProbe: f.RetryDelay, GiveUp: f.Outage, OnEvent: r.onGate}
	}
	env, err := r.opsEnv()
	if err != nil {
		return err
	}
	var columns []writers.Columns
	for _, spec := range r.specs {
		if given := f.Reach[spec.Service]; spec.PruebasOnly && f.Ambiente == "produccion" && (given == nil || given.URL == "") && !f.Sandbox {
			return &batch.Error{Kind: batch.KindNoAddress, Service: spec.Service, Op: spec.Name,
				Msg: fmt.Sprintf("%s aún no publica la dirección de producción de %s", spec.Service, spec.Endpoint)}
		}
		op := spec.New(env)
		if c, ok := op.(io.Closer); ok {
			r.cleanup = append(r.cleanup, func() { c.Close() })
		}
		po := pipeline.Op{Operation: op, Pacer: r.pacers[spec.Service], Gate: r.gates[spec.Service]}
		if set := r.sheetsOf[spec.Name]; set != nil {
			po.Sheets = func(s *batch.Sheet) bool { return set[s] }
		}
		r.cfg.Ops = append(r.cfg.Ops, po)
		columns = append(columns, op)
	}
	book, err := writers.Create(r.out, r.sheets, columns)
	if err != nil {
		return err
	}
	r.book = book
	r.cfg.Sink = book
	r.cfg.Retry = pipeline.RetryPolicy{MaxAttempts: f.Attempts, BaseDelay: f.RetryDelay}
	if r.db != nil {
		r.cfg.Journal = r.router()
	}
	if r.cfg.Keep == nil && r.rest.Obligado != "" {
		// One obligado's run: a row whose Obligado column names another
		// is not sent with this token.
		r.cfg.Keep = keeps(Company{NIT: r.rest.Obligado}, r.s.Files)
	}
	r.cfg.RetryRejected = f.RetryRejected
	r.cfg.DryRun = f.DryRun
	r.cfg.Limit = f.Limit
	for _, in := range r.inputs {
		r.cfg.Inputs = append(r.cfg.Inputs, in)
	}
	return nil
}

// opsEnv is what the operations are built from: the clients, the person
// of the flags, and where the e-mail dispatch saves its files.
func (r *Run) opsEnv() (ops.Env, error) {
	dir := r.s.AdjuntosDir
	if dir == "" {
		dir = strings.TrimSuffix(r.out, filepath.Ext(r.out)) + "-adjuntos"
	}
	absDir, err1 := filepath.Abs(dir)
	absOut, err2 := filepath.Abs(r.out)
	if err := errors.Join(err1, err2); err != nil {
		return ops.Env{}, err
	}
	root := r.s.AdjuntosRaiz
	if root != "" {
		if root, err1 = filepath.Abs(root); err1 != nil {
			return ops.Env{}, err1
		}
	}
	return ops.Env{Afacturar: r.rest, SSIntegral: r.soap, Person: r.s.Person, FilesDir: absDir, WorkbookDir: filepath.Dir(absOut),
		AttachmentsRoot: root, NoHistory: r.s.NoHistory, Wanted: r.wanted, NoInvoicer: r.noInvoicer}, nil
}

func same(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	ab, _ := filepath.Abs(b)
	return aa == ab
}
