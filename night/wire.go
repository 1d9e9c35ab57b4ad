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
	s       Settings
	out     string
	sheets  []*batch.Sheet
	specs   []ops.Spec
	hidden  []string                 // the hidden sheets left unread, for the person to know
	reach   map[batch.Service]*reach // how the run reaches each provider
	db      *journal.Ledger          // the journal as this run's obligado's, in its environment; nil without one
	own     *journal.DB              // the journal this run opened (not a night's), whose copy it keeps
	pacers  map[batch.Service]*pipeline.WindowPacer
	gates   map[batch.Service]*pipeline.Gate
	watch   Watcher
	unread  []writers.Unread // the company's files a night could not read
	cfg     pipeline.Config
	book    *writers.Workbook
	cleanup []func()
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

// open wires a run, each step taking what the ones before it made; what
// a step opened is closed if a later one fails.
func open(s Settings, c companyRun) (_ *Run, err error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	r := &Run{s: s, watch: quiet{}, unread: c.unread}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	in, err := openInputs(s)
	r.cleanup = append(r.cleanup, in.close)
	if err != nil {
		return nil, err
	}
	r.sheets, r.specs, r.hidden = in.sheets, in.specs, in.hidden
	if r.out, err = outputPath(s); err != nil {
		return nil, err
	}
	r.reach = reachAll(s, in.specs, c.noInvoicer)
	if err := credentials(s, r.reach); err != nil {
		return nil, err
	}
	inFlight := inFlightFor(s, r.reach, in.specs)
	rest, soap := clients(s, r.reach, inFlight)
	j, closeJournal, err := openJournal(s, c.shared, r.reach)
	if err != nil {
		return nil, err
	}
	r.cleanup = append(r.cleanup, closeJournal)
	if c.shared == nil {
		r.own = j // a night keeps its shared journal's copy itself
	}
	if j != nil {
		r.db = j.Ledger(environment(s), rest.Obligado)
		unlock, err := lock(s, j, r.reach)
		r.cleanup = append(r.cleanup, unlock)
		if err != nil {
			return nil, err
		}
	}
	r.pacers, r.gates = r.paceAndGates(c.pacers)
	env, err := opsEnv(s, r.out, ops.Env{Afacturar: rest, SSIntegral: soap, Wanted: in.wanted, NoInvoicer: c.noInvoicer})
	if err != nil {
		return nil, err
	}
	keep := c.keep
	if keep == nil && rest.Obligado != "" {
		// One obligado's run: a row whose Obligado column names another
		// is not sent with this token.
		keep = keeps(Company{NIT: rest.Obligado}, s.Files, nil)
	}
	if err := r.operations(env, in, keep, inFlight); err != nil {
		return nil, err
	}
	return r, nil
}

// Close releases what wiring opened, last first.
func (r *Run) Close() {
	for i := len(r.cleanup) - 1; i >= 0; i-- {
		r.cleanup[i]()
	}
	r.cleanup = nil
}

// inputs are a run's open files, their sheets, and the operations chosen
// for them.
type inputs struct {
	files    []*readers.Input
	sheets   []*batch.Sheet
	hidden   []string
	wanted   map[string]bool // the operations named in Settings.Ops
	specs    []ops.Spec
	sheetsOf map[string]map[*batch.Sheet]bool
}

func (in inputs) close() {
	for _, f := range in.files {
		f.Close()
	}
}

// openInputs opens every file and chooses the operations its sheets ask
// for; what it opened is in its result, even with an error.
func openInputs(s Settings) (inputs, error) {
	var in inputs
	wanted, err := ops.Parse(s.Ops)
	if err != nil {
		return in, err
	}
	in.wanted = wanted
	for _, path := range s.Files {
		f, err := readers.Open(path, readers.Options{Keys: ops.KeyFields(wanted), Password: s.FilePassword, HiddenSheets: s.HiddenSheets})
		if err != nil {
			return in, err
		}
		in.files = append(in.files, f)
		in.sheets = append(in.sheets, f.Sheets()...)
		for _, name := range f.Skipped() {
			in.hidden = append(in.hidden, fmt.Sprintf("«%s» (%s)", name, filepath.Base(path)))
		}
	}
	in.specs, in.sheetsOf = ops.Choose(wanted, in.sheets)
	if len(in.specs) == 0 {
		return in, fmt.Errorf("ningún archivo tiene la columna de las operaciones pedidas (%s)", s.Ops)
	}
	return in, nil
}

// reach is how a run reaches one provider: what the provider says of
// itself, and the address, party, secret and pace the settings give it.
type reach struct {
	batch.Provider // its Rate and Window the ones this run keeps
	URL            string
	party, secret  string
	// used: an operation of the run spends its limit; sends: and the
	// run may send to it (the account is the company's own where the
	// provider asks it).
	used, sends bool
}

// reachAll is how the run reaches every registered provider. Each
// provider's party and secret are the settings' fields for it: a provider
// with none is refused by credentials, never sent to.
func reachAll(s Settings, specs []ops.Spec, noInvoicer string) map[batch.Service]*reach {
	held := map[batch.Service][2]string{
		batch.ServiceAfacturar:  {strings.TrimSpace(s.Obligado), strings.TrimSpace(s.Token)},
		batch.ServiceSSIntegral: {strings.TrimSpace(s.Facturador.NIT), s.Facturador.Clave},
	}
	all := map[batch.Service]*reach{}
	for _, p := range batch.Providers() {
		at := s.ReachOf(p)
		p.Rate, p.Window = at.Rate, at.Window
		used := slices.ContainsFunc(specs, func(spec ops.Spec) bool { return spec.Service == p.Service })
		all[p.Service] = &reach{Provider: p, URL: at.URL, party: held[p.Service][0], secret: held[p.Service][1],
			used: used, sends: used && (!p.OwnAccount || noInvoicer == "")}
	}
	return all
}

// used are the providers the run's operations use, in registration order.
func used(all map[batch.Service]*reach) []*reach {
	var out []*reach
	for _, p := range batch.Providers() {
		if all[p.Service].used {
			out = append(out, all[p.Service])
		}
	}
	return out
}

// outputPath is the workbook named, or NOMBRE-resultados.xlsx beside the
// first input. A dry run does not take the name of the real results, which
// it would otherwise replace with a workbook of PENDIENTE rows.
func outputPath(s Settings) (string, error) {
	out := s.Out
	if out == "" {
		suffix := "-resultados.xlsx"
		if s.DryRun {
			suffix = "-revision.xlsx"
		}
		first := s.Files[0]
		out = strings.TrimSuffix(first, filepath.Ext(first)) + suffix
	}
	if !strings.EqualFold(filepath.Ext(out), ".xlsx") {
		return "", &batch.Error{Kind: batch.KindOutput, Msg: out + ": el libro de resultados debe terminar en .xlsx"}
	}
	for _, path := range s.Files {
		if same(path, out) {
			return "", &batch.Error{Kind: batch.KindOutput, Msg: out + " es uno de los archivos de entrada; elija otro nombre para no sobrescribirlo"}
		}
	}
	return out, nil
}

// clients builds both providers' clients with their addresses and
// credentials, sized for the requests that may be in flight. This is the
// one place that knows each provider's client; the rest loops over
// batch.Providers().
func clients(s Settings, all map[batch.Service]*reach, inFlight int) (*afacturar.Client, *ssintegral.Client) {
	a := all[batch.ServiceAfacturar]
	rest := &afacturar.Client{Ambiente: afacturar.AmbientePruebas, Obligado: a.party, Token: a.secret,
		BaseURL: strings.TrimRight(a.URL, "/"), HTTP: transport.NewHTTPClient(s.Timeout, inFlight)}
	if s.Ambiente == "produccion" {
		rest.Ambiente = afacturar.AmbienteProduccion
	}
	soap := &ssintegral.Client{SOAP12: s.SOAP12, Facturador: s.Facturador, URL: all[batch.ServiceSSIntegral].URL,
		HTTP: transport.NewHTTPClient(s.Timeout, inFlight)}
	soap.Facturador.NIT = all[batch.ServiceSSIntegral].party
	if soap.Facturador.TipoAmbiente == 0 {
		soap.Facturador.TipoAmbiente = rest.Ambiente
	}
	return rest, soap
}

// credentials checks that the run has, for each provider it sends to, a
// party, a secret and an address they may travel to: https, or plain http
// to this machine (the simulator's, a test's). A dry run sends nothing and
// needs none.
func credentials(s Settings, all map[batch.Service]*reach) error {
	if s.DryRun {
		return nil
	}
	for _, p := range used(all) {
		switch {
		case !p.sends:
		case p.secret == "":
			return &batch.Error{Kind: batch.KindNoSecret, Service: p.Service, Msg: "falta " + p.Secret}
		case p.party == "":
			return &batch.Error{Kind: batch.KindNoParty, Service: p.Service, Msg: "falta " + p.Party}
		case s.Sandbox && !transport.Loopback(p.URL):
			return fmt.Errorf("el simulador de %s debe estar en esta máquina, no en «%s»", p.Service, p.URL)
		case !transport.Secure(p.URL):
			return fmt.Errorf("la dirección de %s «%s» no usa https: %s viajaría sin cifrar. Use https (http solo se admite hacia esta máquina, 127.0.0.1, para pruebas)", p.Service, p.URL, p.Secret)
		}
	}
	return nil
}

// inFlightFor is the ceiling given, or what every provider's limit needs
// at the worst latency.
// An operation whose requests carry many keys keeps that many more keys
// under way for its provider's requests.
func inFlightFor(s Settings, all map[batch.Service]*reach, specs []ops.Spec) int {
	if s.InFlight > 0 {
		return s.InFlight
	}
	v := 0
	for _, p := range used(all) {
		v += neededInFlight(p.Rate, p.Window, s.Timeout)
		for _, spec := range specs {
			if spec.Service == p.Service && spec.Batch > 1 {
				v += neededInFlight(p.Rate, p.Window, s.Timeout) * spec.Batch
				break
			}
		}
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

// openJournal is the journal of a night of several companies, or the
// run's own, opened with what closes it: a dry run only reads one that
// exists, and only for a party it knows; nil when there is none.
func openJournal(s Settings, shared *journal.DB, all map[batch.Service]*reach) (*journal.DB, func(), error) {
	if shared != nil {
		return shared, func() {}, nil
	}
	known := slices.ContainsFunc(used(all), func(p *reach) bool { return p.party != "" })
	if s.DryRun && !known {
		return nil, func() {}, nil
	}
	return openJournalAt(s.Journal, s.Sandbox, s.DryRun)
}

// environment is the environment that answers a run, under which the
// journal keeps its answers apart from every other's.
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
// environment: on this machine, whatever journal another run keeps, and
// on this journal (which another machine may share); it returns what lets
// them go. A dry run sends nothing and takes no lock; a sandbox run, whose
// journal and simulator are its own, only the journal's.
func lock(s Settings, j *journal.DB, all map[batch.Service]*reach) (unlock func(), err error) {
	var held []func()
	unlock = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	if s.DryRun {
		return unlock, nil
	}
	dir, err := s.Journal.LockDir()
	if err != nil && !s.Sandbox {
		return unlock, err
	}
	ambiente := environment(s)
	for _, p := range used(all) {
		if !p.sends {
			continue
		}
		code := p.Code + "-" + p.party + "-" + ambiente
		who := fmt.Sprintf(p.Holder, p.party) + " (" + ambiente + ")"
		if !s.Sandbox {
			let, err := journal.LockMachine(dir, code, who, j.Path(), s.WaitLock)
			if err != nil {
				return unlock, err
			}
			held = append(held, let)
		}
		let, err := j.Lock(code, who, s.WaitLock)
		if err != nil {
			return unlock, err
		}
		held = append(held, let)
	}
	return unlock, nil
}

// paceAndGates are the pacer of each provider's limit and its gate.
func (r *Run) paceAndGates(pool *pacers) (map[batch.Service]*pipeline.WindowPacer, map[batch.Service]*pipeline.Gate) {
	paces, gates := map[batch.Service]*pipeline.WindowPacer{}, map[batch.Service]*pipeline.Gate{}
	for _, p := range batch.Providers() {
		paces[p.Service] = pace(pool, r.reach[p.Service])
		// A tenth of the window with requests out and no answer (6 s at
		// a minute) stops feeding a service that hangs: at 120 a minute,
		// about 12 requests go into it before its timeouts take it down.
		silence := r.reach[p.Service].Window / 10
		if r.slowAnswers(p.Service) {
			// Its lists take up to a minute to answer by design: a silence
			// shorter than the timeout is no sign of a hang.
			silence = max(silence, r.s.Timeout)
		}
		gates[p.Service] = &pipeline.Gate{Name: string(p.Service), FirstProbe: r.s.RetryDelay, GiveUp: r.s.Outage, OnEvent: r.onGate,
			Silence: silence}
	}
	return paces, gates
}

// slowAnswers says whether one of the run's operations on service asks
// many keys in a request, whose answers are slow by nature.
func (r *Run) slowAnswers(service batch.Service) bool {
	for _, spec := range r.specs {
		if spec.Service == service && spec.Batch > 1 {
			return true
		}
	}
	return false
}

// pace is the pacer of a provider's limit: a run's own, or in a night
// (pool) the one of the provider and key (what the provider counts its
// limit by: the token, the NIT), shared by every company that has it.
func pace(pool *pacers, p *reach) *pipeline.WindowPacer {
	if pool == nil {
		return pipeline.NewWindowPacer(p.Rate, p.Window)
	}
	key := p.party
	if p.KeyedBy == "token" {
		key = p.secret
	}
	return pool.get(p.Service, key, p.Rate, p.Window)
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

// operations builds the chosen operations from env, each with the pacer of
// the limit it spends (every Afacturar operation spends the same token's)
// and its provider's gate, then the workbook and the pipeline's Config.
func (r *Run) operations(env ops.Env, in inputs, keep func(batch.Row) (bool, string), inFlight int) error {
	f := r.s
	var columns []writers.Columns
	for _, spec := range in.specs {
		if given := f.Reach[spec.Service]; spec.PruebasOnly && f.Ambiente == "produccion" && (given == nil || given.URL == "") && !f.Sandbox {
			return &batch.Error{Kind: batch.KindNoAddress, Service: spec.Service, Op: spec.Name,
				Msg: fmt.Sprintf("%s aún no publica la dirección de producción de %s", spec.Service, spec.Endpoint)}
		}
		op := spec.New(env)
		if c, ok := op.(io.Closer); ok {
			r.cleanup = append(r.cleanup, func() { c.Close() })
		}
		po := pipeline.Op{Operation: op, Pacer: r.pacers[spec.Service], Gate: r.gates[spec.Service], AtMostOnce: spec.Repeat == ops.RepeatReaches}
		if own, ok := op.(selfPaced); ok {
			// Its requests carry many keys: it spends the limit per request.
			reach := r.reach[spec.Service]
			own.Pace(po.Pacer, reach.Rate, reach.Window)
			po.Pacer = pipeline.Unpaced
		}
		if set := in.sheetsOf[spec.Name]; set != nil {
			po.Sheets = func(s *batch.Sheet) bool { return set[s] }
		}
		r.cfg.Ops = append(r.cfg.Ops, po)
		columns = append(columns, op)
	}
	book, err := writers.Create(r.out, in.sheets, columns)
	if err != nil {
		return err
	}
	r.book = book
	r.cleanup = append(r.cleanup, book.Abort) // a run closed unsent leaves no file
	r.cfg.Sink = book
	r.cfg.Retry = pipeline.RetryPolicy{MaxAttempts: f.Attempts, BaseDelay: f.RetryDelay}
	if r.db != nil {
		r.cfg.Journal = r.router()
	}
	r.cfg.Keep = keep
	r.cfg.InFlight = inFlight
	r.cfg.RetryRejected = f.RetryRejected
	if len(f.Resend) > 0 {
		r.cfg.Resend = map[string]bool{}
		for _, k := range f.Resend {
			r.cfg.Resend[pipeline.ResendKey(k)] = true
		}
	}
	r.cfg.DryRun = f.DryRun
	r.cfg.Limit = f.Limit
	for _, f := range in.files {
		r.cfg.Inputs = append(r.cfg.Inputs, f)
	}
	return nil
}

// selfPaced is an operation whose requests carry many keys: it paces its
// requests itself, with the limit the run keeps.
type selfPaced interface {
	Pace(p pipeline.Pacer, n int, window time.Duration)
}

// opsEnv is what the operations are built from: env's clients and
// choices, with the person of the settings and where the e-mail dispatch
// saves its files.
func opsEnv(s Settings, out string, env ops.Env) (ops.Env, error) {
	dir := s.AdjuntosDir
	if dir == "" {
		dir = strings.TrimSuffix(out, filepath.Ext(out)) + "-adjuntos"
	}
	absDir, err1 := filepath.Abs(dir)
	absOut, err2 := filepath.Abs(out)
	if err := errors.Join(err1, err2); err != nil {
		return ops.Env{}, err
	}
	root := s.AdjuntosRaiz
	if root != "" {
		if root, err1 = filepath.Abs(root); err1 != nil {
			return ops.Env{}, err1
		}
	}
	env.Person, env.FilesDir, env.WorkbookDir, env.AttachmentsRoot, env.NoHistory = s.Person, absDir, filepath.Dir(absOut), root, s.NoHistory
	return env, nil
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
