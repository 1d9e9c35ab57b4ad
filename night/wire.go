package night

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"batch"
	"batch/afacturar"
	"batch/internal/transport"
	"batch/journal"
	"batch/ops"
	"batch/pipeline"
	"batch/readers"
	"batch/sandbox"
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
	journal  *journal.DB     // the process's journal; nil for a dry run without one
	db       *journal.Ledger // the journal as this run's obligado's, in its environment
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
	keep       func(batch.Row) (bool, string)
	unread     []writers.Unread
	noInvoicer string
}

// open wires a run step by step.
func open(s Settings, c companyRun) (*Run, error) {
	r := &Run{s: s, watch: quiet{}, unread: c.unread, noInvoicer: c.noInvoicer}
	r.cfg.Keep = c.keep
	shared := c.shared
	steps := []func() error{
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

// sends reports whether the run may send to service: an operation uses it,
// and (for SS Integral) the account is the company's own.
func (r *Run) sends(service batch.Service) bool {
	return r.uses(service) && (service != batch.ServiceSSIntegral || r.noInvoicer == "")
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
// credentials, sized for the requests that may be in flight.
func (r *Run) clients() error {
	f := r.s
	r.rest = &afacturar.Client{BaseURL: afacturar.HostPruebas, Ambiente: afacturar.AmbientePruebas, Obligado: strings.TrimSpace(f.Obligado)}
	if f.Ambiente == "produccion" {
		r.rest.BaseURL, r.rest.Ambiente = afacturar.HostProduccion, afacturar.AmbienteProduccion
	}
	r.soap = &ssintegral.Client{URL: ssintegral.DefaultURL, SOAP12: f.SOAP12, Facturador: f.Facturador}
	r.soap.Facturador.NIT = strings.TrimSpace(r.soap.Facturador.NIT)
	if r.soap.Facturador.TipoAmbiente == 0 {
		r.soap.Facturador.TipoAmbiente = r.rest.Ambiente
	}
	if err := r.credentials(); err != nil {
		return err
	}
	if err := r.addresses(); err != nil {
		return err
	}
	r.cfg.InFlight = r.inFlight()
	r.rest.HTTP = transport.NewHTTPClient(f.Timeout, r.cfg.InFlight)
	r.soap.HTTP = transport.NewHTTPClient(f.Timeout, r.cfg.InFlight)
	return nil
}

// credentials are the settings', or the sandbox's own when it starts one.
// A dry run sends nothing: it needs no token and starts no sandbox.
func (r *Run) credentials() error {
	rest, soap := r.rest, &r.soap.Facturador
	switch {
	case r.s.DryRun:
		return nil
	case r.s.Sandbox:
		if rest.Obligado == "" {
			rest.Obligado = sandbox.DefaultObligado
		}
		if soap.NIT == "" {
			soap.NIT = sandbox.DefaultNIT
		}
		rest.Token, soap.Clave = sandbox.DefaultToken, sandbox.DefaultClave
		url, stop, err := startSandbox(rest.Token, rest.Obligado, soap.NIT, soap.Clave)
		if err != nil {
			return fmt.Errorf("no se pudo iniciar el sandbox: %w", err)
		}
		r.cleanup = append(r.cleanup, stop)
		rest.BaseURL, r.soap.URL = url, url+sandbox.SOAPPath
		return nil
	}
	rest.Token = strings.TrimSpace(r.s.Token)
	afacturarOps, correo := r.sends(batch.ServiceAfacturar), r.sends(batch.ServiceSSIntegral)
	switch {
	case afacturarOps && rest.Token == "":
		return &batch.Error{Kind: batch.KindNoSecret, Service: batch.ServiceAfacturar, Msg: "falta el token de Afacturar"}
	case afacturarOps && rest.Obligado == "":
		return &batch.Error{Kind: batch.KindNoParty, Service: batch.ServiceAfacturar, Msg: "falta el NIT del obligado"}
	case correo && soap.NIT == "":
		return &batch.Error{Kind: batch.KindNoParty, Service: batch.ServiceSSIntegral, Msg: "falta el NIT del facturador en SS Integral"}
	case correo && soap.Clave == "":
		return &batch.Error{Kind: batch.KindNoSecret, Service: batch.ServiceSSIntegral, Msg: "falta la clave de SS Integral"}
	}
	return nil
}

// addresses applies the addresses given. The sandbox is only ever its own
// loopback server, whatever the settings say, and real credentials only
// travel over https (plain http only to this machine).
func (r *Run) addresses() error {
	f := r.s
	if f.Sandbox {
		return nil
	}
	if f.URL != "" {
		r.rest.BaseURL = strings.TrimRight(f.URL, "/")
	}
	if f.SOAPURL != "" {
		r.soap.URL = f.SOAPURL
	}
	if f.DryRun {
		return nil
	}
	for _, a := range []struct {
		service batch.Service
		url     string
	}{{batch.ServiceAfacturar, r.rest.BaseURL}, {batch.ServiceSSIntegral, r.soap.URL}} {
		if r.sends(a.service) && !transport.Secure(a.url) {
			return fmt.Errorf("la dirección de %s «%s» no usa https: el token o la clave viajarían sin cifrar. Use https (http solo se admite hacia esta máquina, 127.0.0.1, para pruebas)", a.service, a.url)
		}
	}
	return nil
}

// inFlight is the ceiling given, or what every provider's limit needs at
// the worst latency.
func (r *Run) inFlight() int {
	f := r.s
	if f.InFlight > 0 {
		return f.InFlight
	}
	v := 0
	if r.uses(batch.ServiceAfacturar) {
		v = neededInFlight(f.Rate, f.Window, f.Timeout)
	}
	if r.uses(batch.ServiceSSIntegral) {
		v += neededInFlight(f.RateCorreo, time.Minute, f.Timeout)
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
		known := (r.uses(batch.ServiceAfacturar) && r.rest.Obligado != "") || (r.uses(batch.ServiceSSIntegral) && r.soap.Facturador.NIT != "")
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

// router records each operation's keys under its party: e-mails under the
// invoicer's NIT, the rest under the obligado.
func (r *Run) router() journal.Router {
	return r.db.Route(map[string]string{batch.OpCorreo: r.scope(batch.ServiceSSIntegral)})
}

// scope is the party whose keys a service's operations record: the
// obligado's token, or the invoicer's NIT.
func (r *Run) scope(s batch.Service) string {
	if s == batch.ServiceSSIntegral {
		return "ssintegral:" + r.soap.Facturador.NIT
	}
	return r.rest.Obligado
}

// lock makes this the only run sending with this journal for each
// party the run sends for; a dry run sends nothing and takes no lock.
func (r *Run) lock() error {
	if r.s.DryRun || r.db == nil {
		return nil
	}
	for _, s := range []batch.Service{batch.ServiceAfacturar, batch.ServiceSSIntegral} {
		if !r.sends(s) {
			continue
		}
		code, who := "afacturar-"+r.rest.Obligado, "el obligado "+r.rest.Obligado
		if s == batch.ServiceSSIntegral {
			code, who = "ssintegral-"+r.soap.Facturador.NIT, "el facturador "+r.soap.Facturador.NIT+" en SS Integral"
		}
		unlock, err := r.journal.Lock(code+"-"+r.ambiente(), who+" ("+r.ambiente()+")", r.s.WaitLock)
		if err != nil {
			return err
		}
		r.cleanup = append(r.cleanup, unlock)
	}
	return nil
}

// operations builds the chosen operations, each with the pacer of the
// limit it spends (every Afacturar operation spends the same token's),
// the workbook and the pipeline's Config.
func (r *Run) operations() error {
	f := r.s
	r.pacers = map[batch.Service]*pipeline.WindowPacer{
		batch.ServiceAfacturar:  pipeline.NewWindowPacer(f.Rate, f.Window),
		batch.ServiceSSIntegral: pipeline.NewWindowPacer(f.RateCorreo, time.Minute),
	}
	r.gates = map[batch.Service]*pipeline.Gate{}
	for _, s := range []batch.Service{batch.ServiceAfacturar, batch.ServiceSSIntegral} {
		r.gates[s] = &pipeline.Gate{Name: string(s), FirstProbe: f.RetryDelay, GiveUp: f.Outage, OnEvent: r.onGate}
	}
	env, err := r.opsEnv()
	if err != nil {
		return err
	}
	var columns []writers.Columns
	for _, spec := range r.specs {
		if spec.PruebasOnly && f.Ambiente == "produccion" && f.URL == "" && !f.Sandbox {
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
