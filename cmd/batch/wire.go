package main

import (
	"context"
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

// night is a run wired together: its inputs, operations, clients, journal
// and workbook, ready for the pipeline. Nothing is sent while wiring.
type night struct {
	opts     runFlags
	files    []string
	out      string
	inputs   []*readers.Input
	sheets   []*batch.Sheet
	wanted   map[string]bool // the operations named with --ops
	specs    []ops.Spec
	sheetsOf map[string]map[*batch.Sheet]bool
	hidden   []string // the hidden sheets left unread, for the person to know
	rest     *afacturar.Client
	soap     *ssintegral.Client
	journal  pipeline.Journal
	router   journal.Router
	db       *journal.Journal
	pacers   map[batch.Service]*pipeline.WindowPacer
	gates    map[batch.Service]*pipeline.Gate
	say      func(string) // a line for whoever watches the run
	cfg      pipeline.Config
	book     *writers.Workbook
	cleanup  []func()
}

// wire reads the inputs' headers and puts the run together, step by step.
func wire(opts runFlags, files []string, getenv func(string) string) (*night, error) {
	n := &night{opts: opts, files: files}
	steps := []func() error{
		n.openInputs,
		n.outputPath,
		func() error { return n.clients(getenv) },
		func() error { return n.openJournal(getenv) },
		n.lock,
		n.operations,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			n.close()
			return nil, err
		}
	}
	return n, nil
}

// close releases what wiring opened, last first.
func (n *night) close() {
	for i := len(n.cleanup) - 1; i >= 0; i-- {
		n.cleanup[i]()
	}
}

// openInputs opens every file and chooses the operations its sheets ask for.
func (n *night) openInputs() error {
	wanted, err := ops.Parse(n.opts.ops)
	if err != nil {
		return fmt.Errorf("--ops: %w", err)
	}
	n.wanted = wanted
	for _, path := range n.files {
		in, err := readers.Open(path, readers.Options{Keys: ops.KeyFields(wanted), Password: n.opts.claveArchivo, HiddenSheets: n.opts.hiddenSheets})
		if err != nil {
			return err
		}
		n.cleanup = append(n.cleanup, func() { in.Close() })
		n.inputs = append(n.inputs, in)
		n.sheets = append(n.sheets, in.Sheets()...)
		for _, name := range in.Skipped() {
			n.hidden = append(n.hidden, fmt.Sprintf("«%s» (%s)", name, filepath.Base(path)))
		}
	}
	n.specs, n.sheetsOf = ops.Choose(wanted, n.sheets)
	if len(n.specs) == 0 {
		return fmt.Errorf("ningún archivo tiene la columna de las operaciones pedidas (%s)", n.opts.ops)
	}
	return nil
}

// uses reports whether an operation of the run spends service's limit.
func (n *night) uses(service batch.Service) bool {
	for _, s := range n.specs {
		if s.Service == service {
			return true
		}
	}
	return false
}

// outputPath is -o, or NOMBRE-resultados.xlsx beside the first input. A
// dry run does not take the name of the real results, which it would
// otherwise replace with a workbook of PENDIENTE rows.
func (n *night) outputPath() error {
	n.out = n.opts.out
	if n.out == "" {
		suffix := "-resultados.xlsx"
		if n.opts.dryRun {
			suffix = "-revision.xlsx"
		}
		first := n.files[0]
		n.out = strings.TrimSuffix(first, filepath.Ext(first)) + suffix
	}
	if !strings.EqualFold(filepath.Ext(n.out), ".xlsx") {
		return fmt.Errorf("-o %s: el libro de resultados debe terminar en .xlsx", n.out)
	}
	for _, path := range n.files {
		if same(path, n.out) {
			return fmt.Errorf("-o %s es uno de los archivos de entrada; elija otro nombre para no sobrescribirlo", n.out)
		}
	}
	return nil
}

// clients builds both providers' clients with their addresses and
// credentials, sized for the requests that may be in flight.
func (n *night) clients(getenv func(string) string) error {
	f := n.opts
	n.rest = &afacturar.Client{BaseURL: afacturar.HostPruebas, Ambiente: afacturar.AmbientePruebas, Obligado: strings.TrimSpace(f.obligado)}
	if f.ambiente == "produccion" {
		n.rest.BaseURL, n.rest.Ambiente = afacturar.HostProduccion, afacturar.AmbienteProduccion
	}
	n.soap = &ssintegral.Client{URL: ssintegral.DefaultURL, SOAP12: f.soap12, Facturador: f.facturador}
	n.soap.Facturador.NIT = strings.TrimSpace(n.soap.Facturador.NIT)
	if n.soap.Facturador.TipoAmbiente == 0 {
		n.soap.Facturador.TipoAmbiente = n.rest.Ambiente
	}
	if err := n.credentials(getenv); err != nil {
		return err
	}
	if err := n.addresses(); err != nil {
		return err
	}
	n.cfg.InFlight = n.inFlight()
	n.rest.HTTP = transport.NewHTTPClient(f.timeout, n.cfg.InFlight)
	n.soap.HTTP = transport.NewHTTPClient(f.timeout, n.cfg.InFlight)
	return nil
}

// credentials come from the environment, or from the sandbox it starts. A
// dry run sends nothing: it needs no token and starts no sandbox.
func (n *night) credentials(getenv func(string) string) error {
	rest, soap := n.rest, &n.soap.Facturador
	switch {
	case n.opts.dryRun:
		return nil
	case n.opts.sandbox:
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
		n.cleanup = append(n.cleanup, stop)
		rest.BaseURL, n.soap.URL = url, url+sandbox.SOAPPath
		return nil
	}
	rest.Token = strings.TrimSpace(getenv("AFACTURAR_TOKEN"))
	soap.Clave = getenv("SSINTEGRAL_CLAVE")
	afacturarOps, correo := n.uses(batch.ServiceAfacturar), n.uses(batch.ServiceSSIntegral)
	switch {
	case afacturarOps && rest.Token == "":
		return errors.New("falta el token de Afacturar: defina la variable de entorno AFACTURAR_TOKEN (o use --sandbox para probar)")
	case afacturarOps && rest.Obligado == "":
		return errors.New("falta el NIT del obligado: use --obligado o la variable AFACTURAR_OBLIGADO")
	case correo && soap.NIT == "":
		return errors.New("falta el NIT del facturador en SS Integral: use --ssintegral-nit o la variable SSINTEGRAL_NIT")
	case correo && soap.Clave == "":
		return errors.New("falta la clave de SS Integral: defina la variable de entorno SSINTEGRAL_CLAVE (o use --sandbox para probar)")
	}
	return nil
}

// addresses applies --url and --soap-url. The sandbox is only ever its own
// loopback server, whatever the environment says, and real credentials
// only travel over https (plain http only to this machine).
func (n *night) addresses() error {
	f := n.opts
	if f.sandbox {
		if f.given["url"] || f.given["soap-url"] {
			return errors.New("--sandbox usa solo el simulador local: no se combina con --url ni --soap-url")
		}
		return nil
	}
	if f.url != "" {
		n.rest.BaseURL = strings.TrimRight(f.url, "/")
	}
	if f.soapURL != "" {
		n.soap.URL = f.soapURL
	}
	if f.dryRun {
		return nil
	}
	for _, a := range []struct {
		service batch.Service
		url     string
	}{{batch.ServiceAfacturar, n.rest.BaseURL}, {batch.ServiceSSIntegral, n.soap.URL}} {
		if n.uses(a.service) && !transport.Secure(a.url) {
			return fmt.Errorf("la dirección de %s «%s» no usa https: el token o la clave viajarían sin cifrar. Use https (http solo se admite hacia esta máquina, 127.0.0.1, para pruebas)", a.service, a.url)
		}
	}
	return nil
}

// inFlight is --concurrencia, or what every provider's limit needs at the
// worst latency.
func (n *night) inFlight() int {
	f := n.opts
	if f.inFlight > 0 {
		return f.inFlight
	}
	v := 0
	if n.uses(batch.ServiceAfacturar) {
		v = neededInFlight(f.rpm, f.window, f.timeout)
	}
	if n.uses(batch.ServiceSSIntegral) {
		v += neededInFlight(f.rateCorreo, time.Minute, f.timeout)
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

// openJournal opens the journal the run records in. With --sandbox and no
// --journal it is a temporary one: the simulator forgets its registrations
// when it stops, and a journal that outlived it would answer for events it
// never had. A dry run only reads the journal, and only one that exists.
func (n *night) openJournal(getenv func(string) string) error {
	path := n.opts.journal
	if path == "" && n.opts.sandbox && !n.opts.dryRun {
		dir, err := os.MkdirTemp("", "batch-sandbox-")
		if err != nil {
			return fmt.Errorf("no se pudo crear el diario temporal: %w", err)
		}
		n.cleanup = append(n.cleanup, func() { os.RemoveAll(dir) })
		path = filepath.Join(dir, "journal.db")
	}
	if path == "" {
		var err error
		if path, err = journal.DefaultPath(getenv); err != nil {
			return err
		}
	}
	if n.opts.shared != nil {
		// A night of several companies: one database, each its own party.
		n.db = n.opts.shared.For(n.rest.Obligado)
		n.router = n.db.Route(map[string]string{batch.OpCorreo: n.scope(batch.ServiceSSIntegral)})
		n.journal = n.router
		return nil
	}
	known := (n.uses(batch.ServiceAfacturar) && n.rest.Obligado != "") || (n.uses(batch.ServiceSSIntegral) && n.soap.Facturador.NIT != "")
	if _, statErr := os.Stat(path); n.opts.dryRun && (statErr != nil || !known) {
		return nil
	}
	j, err := journal.Open(path, n.rest.Obligado)
	if err != nil {
		return err
	}
	n.cleanup = append(n.cleanup, func() { j.Close() })
	n.db = j
	n.router = j.Route(map[string]string{batch.OpCorreo: n.scope(batch.ServiceSSIntegral)})
	n.journal = n.router
	return nil
}

// scope is the party whose keys a service's operations record: the
// obligado's token, or the invoicer's NIT.
func (n *night) scope(s batch.Service) string {
	if s == batch.ServiceSSIntegral {
		return "ssintegral:" + n.soap.Facturador.NIT
	}
	return n.rest.Obligado
}

// lock makes this the only run sending with this journal for each
// party the run sends for; a dry run sends nothing and takes no lock.
func (n *night) lock() error {
	if n.opts.dryRun || n.db == nil {
		return nil
	}
	for _, s := range []batch.Service{batch.ServiceAfacturar, batch.ServiceSSIntegral} {
		if !n.uses(s) {
			continue
		}
		name := "el obligado " + n.rest.Obligado
		if s == batch.ServiceSSIntegral {
			name = "el facturador " + n.soap.Facturador.NIT + " en SS Integral"
		}
		unlock, err := n.db.Lock(name, n.opts.waitLock)
		if err != nil {
			return err
		}
		n.cleanup = append(n.cleanup, unlock)
	}
	return nil
}

// operations builds the chosen operations, each with the pacer of the
// limit it spends (every Afacturar operation spends the same token's),
// the workbook and the pipeline's Config.
func (n *night) operations() error {
	f := n.opts
	n.pacers = map[batch.Service]*pipeline.WindowPacer{
		batch.ServiceAfacturar:  pipeline.NewWindowPacer(f.rpm, f.window),
		batch.ServiceSSIntegral: pipeline.NewWindowPacer(f.rateCorreo, time.Minute),
	}
	n.gates = map[batch.Service]*pipeline.Gate{}
	for _, s := range []batch.Service{batch.ServiceAfacturar, batch.ServiceSSIntegral} {
		n.gates[s] = &pipeline.Gate{Name: string(s), FirstProbe: f.retryDelay, GiveUp: f.outage, OnEvent: n.onGate}
	}
	env, err := n.opsEnv()
	if err != nil {
		return err
	}
	var columns []writers.Columns
	for _, spec := range n.specs {
		if spec.PruebasOnly && f.ambiente == "produccion" && f.url == "" && !f.sandbox {
			return fmt.Errorf("%s aún no publica la dirección de producción de %s. Use --url con la que le haya dado %s, o deje la operación %s fuera con --ops",
				spec.Service, spec.Endpoint, spec.Service, spec.Name)
		}
		op := spec.New(env)
		if c, ok := op.(io.Closer); ok {
			n.cleanup = append(n.cleanup, func() { c.Close() })
		}
		po := pipeline.Op{Operation: op, Pacer: n.pacers[spec.Service], Gate: n.gates[spec.Service]}
		if set := n.sheetsOf[spec.Name]; set != nil {
			po.Sheets = func(s *batch.Sheet) bool { return set[s] }
		}
		n.cfg.Ops = append(n.cfg.Ops, po)
		columns = append(columns, op)
	}
	book, err := writers.Create(n.out, n.sheets, columns)
	if err != nil {
		return err
	}
	n.book = book
	n.cfg.Sink = book
	n.cfg.Retry = pipeline.RetryPolicy{MaxAttempts: f.attempts, BaseDelay: f.retryDelay}
	n.cfg.Journal = n.journal
	n.cfg.RetryRejected = f.retryRejected
	n.cfg.DryRun = f.dryRun
	n.cfg.Keep = f.keep
	for _, in := range n.inputs {
		n.cfg.Inputs = append(n.cfg.Inputs, in)
	}
	return nil
}

// opsEnv is what the operations are built from: the clients, the person
// of the flags, and where the e-mail dispatch saves its files.
func (n *night) opsEnv() (ops.Env, error) {
	dir := n.opts.adjuntosDir
	if dir == "" {
		dir = strings.TrimSuffix(n.out, filepath.Ext(n.out)) + "-adjuntos"
	}
	absDir, err1 := filepath.Abs(dir)
	absOut, err2 := filepath.Abs(n.out)
	if err := errors.Join(err1, err2); err != nil {
		return ops.Env{}, err
	}
	root := n.opts.adjuntosRaiz
	if root != "" {
		if root, err1 = filepath.Abs(root); err1 != nil {
			return ops.Env{}, err1
		}
	}
	pacer := n.pacers[batch.ServiceAfacturar]
	pace := func(ctx context.Context) error {
		t, err := pacer.Wait(ctx)
		if err == nil {
			t.Sent()
		}
		return err
	}
	return ops.Env{Afacturar: n.rest, SSIntegral: n.soap, Person: n.opts.person, FilesDir: absDir, WorkbookDir: filepath.Dir(absOut),
		AttachmentsRoot: root, Pace: pace, NoHistory: n.opts.noHistory, Wanted: n.wanted}, nil
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
