package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// runFlags are `batch run`'s options.
type runFlags struct {
	out           string
	ambiente      string
	url           string
	obligado      string
	rpm           int
	window        time.Duration
	inFlight      int
	timeout       time.Duration
	attempts      int
	sandbox       bool
	claveArchivo  string
	person        ops.Person
	journal       string
	retryRejected bool
	retryDelay    time.Duration
	grace         time.Duration
	ops           string
	dryRun        bool
	quiet         bool
	json          bool
	soap12        bool
	soapURL       string
	rateCorreo    int
	adjuntosDir   string
	facturador    ssintegral.Facturador // without the Clave, which only the environment gives
}

const runUsage = `Uso: batch run [opciones] ARCHIVO...

Lee cada ARCHIVO (.xlsx o .csv) y, según sus columnas:
  acuse   registra en Afacturar el acuse de recibo (evento 030 de RADIAN) de
          cada CUFE de las facturas recibidas;
  cuv     consulta en Afacturar cada CUV de los RIPS;
  correo  envía al comprador cada factura emitida con EnvioCorreo de SS
          Integral (hojas con NumeroFactura, MailRecepcion y FechaFactura) y
          guarda el PDF y el XML que devuelve.
Luego escribe el libro de resultados.

Los secretos se toman solo de variables de entorno (nunca de una opción, para
que no queden en el historial ni en la lista de procesos): AFACTURAR_TOKEN y
SSINTEGRAL_CLAVE. Nunca se escriben en el libro, el diario ni los mensajes.

Ejemplos:
  batch run --sandbox samples/facturas-recibidas.xlsx
  batch run --obligado 900123456 --nombres "Ana María" --apellidos "Gómez Ruiz" \
            --tipo-identificacion CC --identificacion 52123456 recibidas.xlsx
  batch run --ambiente produccion --rate 100 -o acuses-noviembre.xlsx recibidas.csv
  batch run --ops cuv rips-noviembre.xlsx     # solo la consulta de CUV
  SSINTEGRAL_NIT=900123456 SSINTEGRAL_CLAVE=... batch run --ssintegral-codigo-empresa 12 emitidas.xlsx

Opciones:
`

func parseRun(args []string, getenv func(string) string, stderr io.Writer) (runFlags, []string, error) {
	var f runFlags
	fs := flag.NewFlagSet("batch run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.out, "o", "", "libro de resultados `.xlsx` (por defecto NOMBRE-resultados.xlsx junto al primer archivo)")
	fs.StringVar(&f.ambiente, "ambiente", "pruebas", "ambiente de la DIAN: `pruebas` o produccion")
	fs.StringVar(&f.url, "url", "", "dirección del servicio (reemplaza la del ambiente), p. ej. http://127.0.0.1:8080")
	fs.StringVar(&f.obligado, "obligado", getenv("AFACTURAR_OBLIGADO"), "NIT del obligado (documento_obligado); por defecto $AFACTURAR_OBLIGADO")
	fs.IntVar(&f.rpm, "rate", 120, "solicitudes permitidas por el proveedor en cada ventana (por minuto)")
	fs.DurationVar(&f.window, "ventana", time.Minute, "la ventana del límite de --rate, si el proveedor no lo cuenta por minuto")
	fs.IntVar(&f.inFlight, "concurrencia", 0, "solicitudes simultáneas como máximo (0: las que el límite permite con la peor latencia)")
	fs.DurationVar(&f.timeout, "timeout", 90*time.Second, "espera máxima por respuesta; Afacturar espera a la DIAN hasta 60 s")
	fs.IntVar(&f.attempts, "reintentos", 8, "intentos por fila ante fallas transitorias (5xx, código 28, red)")
	fs.StringVar(&f.journal, "journal", "", "diario de la ejecución (SQLite); por defecto $XDG_STATE_HOME/batch/journal.db o ~/.local/state/batch/journal.db")
	fs.BoolVar(&f.retryRejected, "reintentar", false, "volver a enviar las filas RECHAZADO en ejecuciones anteriores (tras corregir el dato)")
	fs.DurationVar(&f.retryDelay, "espera-reintento", 2*time.Second, "espera antes del primer reintento; se duplica en cada uno, hasta 2 minutos")
	fs.DurationVar(&f.grace, "espera-cierre", 30*time.Second, "al recibir Ctrl+C o SIGTERM, cuánto esperar las respuestas en curso")
	fs.StringVar(&f.ops, "ops", "", "operaciones, separadas por comas: acuse (columna CUFE), cuv (columna CUV); por defecto, las de las columnas que tenga el archivo")
	fs.BoolVar(&f.dryRun, "dry-run", false, "solo leer y revisar: escribe el libro con lo que se enviaría, sin enviar nada (lo mismo que batch check)")
	fs.BoolVar(&f.quiet, "quiet", false, "no mostrar el avance ni el resumen; solo los errores")
	fs.BoolVar(&f.json, "json", false, "al terminar, escribir el resumen en JSON en la salida estándar (para automatizar)")
	fs.BoolVar(&f.sandbox, "sandbox", false, "usar el Afacturar simulado incorporado (no envía nada a internet)")
	fs.StringVar(&f.claveArchivo, "clave-archivo", getenv("BATCH_CLAVE_ARCHIVO"), "contraseña de un .xlsx protegido; por defecto $BATCH_CLAVE_ARCHIVO")
	fs.StringVar(&f.soapURL, "soap-url", getenv("SSINTEGRAL_URL"), "dirección del servicio EnvioCorreo de SS Integral (por defecto "+ssintegral.DefaultURL+"); por defecto $SSINTEGRAL_URL")
	fs.BoolVar(&f.soap12, "soap12", false, "hablar SOAP 1.2 con SS Integral (por defecto SOAP 1.1)")
	fs.IntVar(&f.rateCorreo, "rate-correo", 30, "envíos por minuto a SS Integral, que no publica su límite: 30 deja margen; súbalo solo si SS Integral le confirma otro")
	fs.StringVar(&f.adjuntosDir, "adjuntos-dir", "", "carpeta donde se guardan el PDF y el XML de cada factura enviada por correo (por defecto NOMBRE-adjuntos junto al libro)")
	fs.StringVar(&f.facturador.NIT, "ssintegral-nit", getenv("SSINTEGRAL_NIT"), "NIT del facturador en SS Integral; por defecto $SSINTEGRAL_NIT (la clave solo se toma de $SSINTEGRAL_CLAVE)")
	codigoEmpresa := fs.String("ssintegral-codigo-empresa", getenv("SSINTEGRAL_CODIGO_EMPRESA"), "CodigoEmpresa en SS Integral; por defecto $SSINTEGRAL_CODIGO_EMPRESA")
	tipoAmbiente := fs.String("ssintegral-tipo-ambiente", getenv("SSINTEGRAL_TIPO_AMBIENTE"), "TipoAmbiente en SS Integral (1 producción, 2 pruebas); por defecto $SSINTEGRAL_TIPO_AMBIENTE o el de --ambiente")
	fs.StringVar(&f.facturador.Server, "ssintegral-server", getenv("SSINTEGRAL_SERVER"), "campo server de SS Integral; por defecto $SSINTEGRAL_SERVER")
	fs.StringVar(&f.facturador.MailAreaFacturacion, "ssintegral-mail-facturacion", getenv("SSINTEGRAL_MAIL_AREA_FACTURACION"), "correo del área de facturación (MailAreaFacturacionFacturador); por defecto $SSINTEGRAL_MAIL_AREA_FACTURACION")
	fs.StringVar(&f.facturador.RazonSocial, "ssintegral-razon-social", getenv("SSINTEGRAL_RAZON_SOCIAL"), "razón social del facturador; por defecto $SSINTEGRAL_RAZON_SOCIAL")
	fs.StringVar(&f.facturador.DigitoVerificacion, "ssintegral-dv", getenv("SSINTEGRAL_DIGITO_VERIFICACION"), "dígito de verificación del NIT del facturador; por defecto $SSINTEGRAL_DIGITO_VERIFICACION")
	fs.StringVar(&f.facturador.TipoIdentificacion, "ssintegral-tipo-identificacion", getenv("SSINTEGRAL_TIPO_IDENTIFICACION"), "tipo de identificación del facturador (31 = NIT); por defecto $SSINTEGRAL_TIPO_IDENTIFICACION")
	fs.StringVar(&f.person.TipoIdentificacion, "tipo-identificacion", "", "tipo de documento de quien recibió, si el archivo no lo trae (13, CC, 31, NIT...)")
	fs.StringVar(&f.person.Identificacion, "identificacion", "", "número de documento de quien recibió, si el archivo no lo trae")
	fs.StringVar(&f.person.Nombres, "nombres", "", "nombres de quien recibió, si el archivo no los trae")
	fs.StringVar(&f.person.Apellidos, "apellidos", "", "apellidos de quien recibió, si el archivo no los trae")
	fs.StringVar(&f.person.Cargo, "cargo", "", "cargo de quien recibió (opcional)")
	fs.StringVar(&f.person.Area, "area", "", "área de quien recibió (opcional)")
	if err := fs.Parse(args); err != nil {
		return f, nil, err
	}
	files := fs.Args()
	switch {
	case len(files) == 0:
		return f, nil, errors.New("falta el archivo a procesar: batch run [opciones] ARCHIVO.xlsx")
	case f.rpm <= 0 || f.window <= 0 || f.rateCorreo <= 0:
		return f, nil, errors.New("--rate, --ventana y --rate-correo deben ser mayores que 0")
	case f.timeout <= 0:
		return f, nil, errors.New("--timeout debe ser mayor que 0")
	case f.retryDelay <= 0 || f.grace < 0:
		return f, nil, errors.New("--espera-reintento debe ser mayor que 0 y --espera-cierre no puede ser negativa")
	case f.ambiente != "pruebas" && f.ambiente != "produccion":
		return f, nil, fmt.Errorf("--ambiente %q no existe: use pruebas o produccion", f.ambiente)
	}
	for _, v := range []struct {
		name, raw string
		to        *int
	}{{"--ssintegral-codigo-empresa", *codigoEmpresa, &f.facturador.CodigoEmpresa}, {"--ssintegral-tipo-ambiente", *tipoAmbiente, &f.facturador.TipoAmbiente}} {
		if raw := strings.TrimSpace(v.raw); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 0 {
				return f, nil, fmt.Errorf("%s %q debe ser un número entero", v.name, v.raw)
			}
			*v.to = n
		}
	}
	if t := f.facturador.TipoAmbiente; t != 0 && t != 1 && t != 2 {
		return f, nil, fmt.Errorf("--ssintegral-tipo-ambiente %d no existe: use 1 (producción) o 2 (pruebas)", t)
	}
	if f.person.TipoIdentificacion != "" {
		if _, ok := ops.ParseTipoIdentificacion(f.person.TipoIdentificacion); !ok {
			return f, nil, fmt.Errorf("--tipo-identificacion %q no es un código válido (11, 12, 13, 21, 22, 31, 41, 42, 47, 48, 50, 91, o CC, CE, NIT...)", f.person.TipoIdentificacion)
		}
	}
	for name, v := range map[string]string{"nombres": f.person.Nombres, "apellidos": f.person.Apellidos, "cargo": f.person.Cargo, "area": f.person.Area} {
		if v != "" && len([]rune(strings.TrimSpace(v))) < 3 {
			return f, nil, fmt.Errorf("--%s %q debe tener al menos 3 caracteres", name, v)
		}
	}
	return f, files, nil
}

func runCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	f, files, err := parseRun(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "batch: %v\n", err)
		return exitNothing
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "batch: "+format+"\n", a...)
		return exitNothing
	}

	wanted, err := parseOps(f.ops)
	if err != nil {
		return fail("%v", err)
	}
	var inputs []*readers.Input
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	var sheets []*batch.Sheet
	for _, path := range files {
		in, err := readers.Open(path, readers.Options{Keys: keyFields(wanted), Password: f.claveArchivo})
		if err != nil {
			return fail("%v", err)
		}
		inputs = append(inputs, in)
		sheets = append(sheets, in.Sheets()...)
	}
	chosen, sheetsOf := chosenOps(wanted, sheets)
	if len(chosen) == 0 {
		return fail("ningún archivo tiene la columna de las operaciones pedidas (%s)", f.ops)
	}
	uses := map[string]bool{}
	for _, name := range chosen {
		uses[name] = true
	}
	afacturarOps := uses["acuse"] || uses["cuv"]

	out := f.out
	if out == "" {
		// A dry run does not take the name of the real results, which it
		// would otherwise replace with a workbook of PENDIENTE rows.
		suffix := "-resultados.xlsx"
		if f.dryRun {
			suffix = "-revision.xlsx"
		}
		first := files[0]
		out = strings.TrimSuffix(first, filepath.Ext(first)) + suffix
	}
	if !strings.EqualFold(filepath.Ext(out), ".xlsx") {
		return fail("-o %s: el libro de resultados debe terminar en .xlsx", out)
	}
	for _, path := range files {
		if same(path, out) {
			return fail("-o %s es uno de los archivos de entrada; elija otro nombre para no sobrescribirlo", out)
		}
	}

	client := &afacturar.Client{BaseURL: afacturar.HostPruebas, Ambiente: afacturar.AmbientePruebas, Obligado: strings.TrimSpace(f.obligado)}
	if f.ambiente == "produccion" {
		client.BaseURL, client.Ambiente = afacturar.HostProduccion, afacturar.AmbienteProduccion
	}
	soap := &ssintegral.Client{URL: ssintegral.DefaultURL, SOAP12: f.soap12, Facturador: f.facturador}
	soap.Facturador.NIT = strings.TrimSpace(soap.Facturador.NIT)
	if soap.Facturador.TipoAmbiente == 0 {
		soap.Facturador.TipoAmbiente = client.Ambiente
	}
	if f.dryRun {
		// Nothing is sent: no token is needed, and the sandbox is not started.
	} else if f.sandbox {
		if client.Obligado == "" {
			client.Obligado = sandbox.DefaultObligado
		}
		if soap.Facturador.NIT == "" {
			soap.Facturador.NIT = sandbox.DefaultNIT
		}
		client.Token, soap.Facturador.Clave = sandbox.DefaultToken, sandbox.DefaultClave
		url, stop, err := startSandbox(client.Token, client.Obligado, soap.Facturador.NIT, soap.Facturador.Clave)
		if err != nil {
			return fail("no se pudo iniciar el sandbox: %v", err)
		}
		defer stop()
		client.BaseURL, soap.URL = url, url+sandbox.SOAPPath
	} else {
		client.Token = strings.TrimSpace(getenv("AFACTURAR_TOKEN"))
		soap.Facturador.Clave = getenv("SSINTEGRAL_CLAVE")
		switch {
		case afacturarOps && client.Token == "":
			return fail("falta el token de Afacturar: defina la variable de entorno AFACTURAR_TOKEN (o use --sandbox para probar)")
		case afacturarOps && client.Obligado == "":
			return fail("falta el NIT del obligado: use --obligado o la variable AFACTURAR_OBLIGADO")
		case uses["correo"] && soap.Facturador.NIT == "":
			return fail("falta el NIT del facturador en SS Integral: use --ssintegral-nit o la variable SSINTEGRAL_NIT")
		case uses["correo"] && soap.Facturador.Clave == "":
			return fail("falta la clave de SS Integral: defina la variable de entorno SSINTEGRAL_CLAVE (o use --sandbox para probar)")
		}
	}
	if f.url != "" {
		client.BaseURL = strings.TrimRight(f.url, "/")
	}
	if f.soapURL != "" {
		soap.URL = f.soapURL
	}

	inFlight := f.inFlight
	if inFlight <= 0 {
		if afacturarOps {
			inFlight = neededInFlight(f.rpm, f.window, f.timeout)
		}
		if uses["correo"] {
			inFlight += neededInFlight(f.rateCorreo, time.Minute, f.timeout)
		}
	}
	client.HTTP = transport.NewHTTPClient(f.timeout, inFlight)
	soap.HTTP = transport.NewHTTPClient(f.timeout, inFlight)

	journalPath := f.journal
	if journalPath == "" && f.sandbox && !f.dryRun {
		// The simulator forgets its registrations when it stops; a
		// journal that outlived it would answer for events it never had.
		dir, err := os.MkdirTemp("", "batch-sandbox-")
		if err != nil {
			return fail("no se pudo crear el diario temporal: %v", err)
		}
		defer os.RemoveAll(dir)
		journalPath = filepath.Join(dir, "journal.db")
	}
	if journalPath == "" {
		if journalPath, err = journal.DefaultPath(getenv); err != nil {
			return fail("%v", err)
		}
	}
	// A dry run only reads the journal, and only one that exists.
	var jr pipeline.Journal
	known := (afacturarOps && client.Obligado != "") || (uses["correo"] && soap.Facturador.NIT != "")
	if _, statErr := os.Stat(journalPath); !f.dryRun || (statErr == nil && known) {
		j, err := journal.Open(journalPath, client.Obligado)
		if err != nil {
			return fail("%v", err)
		}
		defer j.Close()
		jr = journals{def: j, byOp: map[string]pipeline.Journal{
			// An invoicer's dispatches are its own, apart from any
			// obligado's events, even under the same NIT.
			"correo": j.For("ssintegral:" + soap.Facturador.NIT),
		}}
	}

	// Every Afacturar operation spends the same token's limit: one pacer
	// for them; SS Integral's limit is its own.
	pacer := pipeline.NewWindowPacer(f.rpm, f.window)
	correoPacer := pipeline.NewWindowPacer(f.rateCorreo, time.Minute)
	var (
		pipeOps []pipeline.Op
		columns []writers.Columns
	)
	for _, name := range chosen {
		var op interface {
			pipeline.Operation
			writers.Columns
		}
		opPacer := pacer
		switch name {
		case "acuse":
			op = &ops.Acuse{Client: client, Defaults: f.person}
		case "cuv":
			if f.ambiente == "produccion" && f.url == "" && !f.sandbox {
				return fail("Afacturar aún no publica la dirección de producción de consultar_cuv. Use --url con la que le haya dado Afacturar, o deje la CUV fuera con --ops acuse")
			}
			op = &ops.CUV{Client: client}
		case "correo":
			dir := f.adjuntosDir
			if dir == "" {
				dir = strings.TrimSuffix(out, filepath.Ext(out)) + "-adjuntos"
			}
			absDir, err1 := filepath.Abs(dir)
			absOut, err2 := filepath.Abs(out)
			if err := errors.Join(err1, err2); err != nil {
				return fail("%v", err)
			}
			op = &ops.Correo{Client: soap, Dir: absDir, Base: filepath.Dir(absOut)}
			opPacer = correoPacer
		}
		po := pipeline.Op{Operation: op, Pacer: opPacer}
		if set := sheetsOf[name]; set != nil {
			po.Sheets = func(s *batch.Sheet) bool { return set[s] }
		}
		pipeOps = append(pipeOps, po)
		columns = append(columns, op)
	}
	book, err := writers.Create(out, sheets, columns)
	if err != nil {
		return fail("%v", err)
	}

	ctx, stopStarting := context.WithCancel(context.Background())
	defer stopStarting()
	flight, stopFlight := context.WithCancel(context.Background())
	defer stopFlight()
	finished := make(chan struct{})
	defer close(finished)
	go onSignals(finished, stopStarting, stopFlight, f.grace, book.TempPath(), stderr)

	sources := make([]pipeline.Source, len(inputs))
	for i, in := range inputs {
		sources[i] = in
	}
	cfg := pipeline.Config{
		Inputs:        sources,
		Ops:           pipeOps,
		Sink:          book,
		Retry:         pipeline.RetryPolicy{MaxAttempts: f.attempts, BaseDelay: f.retryDelay},
		InFlight:      inFlight,
		Journal:       jr,
		RetryRejected: f.retryRejected,
		Flight:        flight,
		DryRun:        f.dryRun,
	}
	total := 0
	if !f.dryRun {
		// Before the first request: what the night holds.
		plan := cfg
		plan.DryRun, plan.Sink = true, discard{}
		est, err := pipeline.Run(ctx, plan)
		if err != nil && !errors.Is(err, context.Canceled) {
			book.Abort()
			return fail("%v", err)
		}
		if !f.quiet {
			estimate(stderr, est, f.rpm, f.window, f.rateCorreo)
		}
		total = est.Rows
	}
	var prog *progress
	if !f.quiet && !f.dryRun {
		prog = startProgress(stderr, total, pacer, correoPacer)
		cfg.Sink = prog.sink(book)
	}
	sum, runErr := pipeline.Run(ctx, cfg)
	prog.stop()

	var (
		stopped  *pipeline.Stopped
		inputErr *readers.Error
		reason   string
	)
	if errors.As(runErr, &stopped) {
		reason = stopped.Reason
	}
	if err := book.Close(writers.Run{
		Inputs: files, Started: sum.Started, Ended: sum.Ended,
		Rows: sum.Rows, Requests: sum.Requests, Attempts: sum.Attempts, Reused: sum.Reused, Duplicates: sum.Duplicates,
		Limit: int(math.Round(float64(f.rpm) * time.Minute.Seconds() / f.window.Seconds())), DryRun: f.dryRun, Stopped: reason,
	}); err != nil {
		return fail("%v", err)
	}
	if !f.quiet {
		if f.dryRun {
			estimate(stderr, sum, f.rpm, f.window, f.rateCorreo)
			fmt.Fprintf(stderr, "  revisión (no se envió nada): %s\n", out)
		} else {
			report(stderr, sum, out)
		}
	}
	if sum.Rows == 0 && runErr == nil && !f.quiet {
		var where []string
		for _, sh := range sheets {
			where = append(where, fmt.Sprintf("«%s» (encabezado en la fila %d)", sh.Name, sh.HeaderRow))
		}
		fmt.Fprintf(stderr, "batch: no hay filas de datos debajo del encabezado en %s: no había nada que enviar\n", strings.Join(where, ", "))
	}

	code := exitOK
	switch {
	case stopped != nil:
		code = fail("se detuvo el envío: %s. Las filas no enviadas quedaron PENDIENTE en %s", stopped.Reason, out)
	case errors.As(runErr, &inputErr):
		code = fail("%v (las filas anteriores quedaron en %s)", runErr, out)
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintf(stderr, "batch: ejecución interrumpida; las filas sin respuesta quedaron PENDIENTE en %s\n", out)
		code = exitSomeRows
	case runErr != nil:
		code = fail("%v", runErr)
	case f.dryRun:
		for _, counts := range sum.Statuses {
			if counts[batch.StatusInvalido]+counts[batch.StatusRechazado] > 0 {
				code = exitSomeRows
			}
		}
	case !sum.Complete():
		code = exitSomeRows
	}
	if f.json {
		writeJSON(stdout, sum, out, code, f.dryRun, reason)
	}
	return code
}

// neededInFlight is the ceiling on requests under way that lets the limit
// be reached even when every answer takes the whole timeout. Little's law:
// requests under way = rate × latency.
func neededInFlight(n int, window, timeout time.Duration) int {
	v := int(math.Ceil(float64(n)/window.Seconds()*timeout.Seconds())) + 1
	return min(max(v, 1), 2000)
}

// discard is the sink of the estimate before a run.
type discard struct{}

func (discard) Write(batch.Row, []batch.Result) error { return nil }

// estimate tells, before sending, how many requests the run will make and
// how long they take at the provider's limit.
func estimate(w io.Writer, sum pipeline.Summary, rpm int, window time.Duration, rateCorreo int) {
	invalid := 0
	for _, counts := range sum.Statuses {
		invalid += counts[batch.StatusInvalido]
	}
	correos := sum.OpRequests["correo"]
	d := time.Duration(sum.Requests-correos) * pipeline.Interval(rpm, window)
	per := "por minuto"
	if window != time.Minute {
		per = "cada " + window.String()
	}
	pace := fmt.Sprintf("A %d %s", rpm, per)
	if correos > 0 {
		// The two providers' limits are spent side by side.
		d = max(d, time.Duration(correos)*pipeline.Interval(rateCorreo, time.Minute))
		if sum.Requests > correos {
			pace += fmt.Sprintf(" (correos: %d por minuto)", rateCorreo)
		} else {
			pace = fmt.Sprintf("A %d correos por minuto", rateCorreo)
		}
	}
	fmt.Fprintf(w, "batch: %d filas: se enviarán %d solicitudes; %d ya resueltas en ejecuciones anteriores, %d repetidas en el archivo, %d inválidas (no se envían). %s: unos %s\n",
		sum.Rows, sum.Requests, sum.Reused, sum.Duplicates, invalid, pace, humanDuration(d))
}

// humanDuration rounds a duration the way a person says it.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// operations are the operations batch knows, with the column that asks
// for each, in workbook order.
var operations = []struct {
	name string
	key  batch.Field
	// needs are the columns that turn the operation on when --ops is not
	// given: an e-mail goes out only from a sheet that names where.
	needs []batch.Field
}{
	{"acuse", batch.FieldCUFE, []batch.Field{batch.FieldCUFE}},
	{"cuv", batch.FieldCUV, []batch.Field{batch.FieldCUV}},
	{"correo", batch.FieldNumeroFactura, []batch.Field{batch.FieldNumeroFactura, batch.FieldMailRecepcion, batch.FieldFechaFactura}},
}

// parseOps reads --ops; an empty value means "let the files decide".
func parseOps(v string) (map[string]bool, error) {
	wanted := map[string]bool{}
	for _, name := range strings.Split(v, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		known := false
		for _, op := range operations {
			known = known || op.name == name
		}
		if !known {
			return nil, fmt.Errorf("--ops: operación desconocida %q; use acuse, cuv, correo o varias separadas por coma", name)
		}
		wanted[name] = true
	}
	return wanted, nil
}

// keyFields are the columns that make a header row for the wanted
// operations.
func keyFields(wanted map[string]bool) []batch.Field {
	var keys []batch.Field
	for _, op := range operations {
		if len(wanted) == 0 || wanted[op.name] {
			keys = append(keys, op.key)
		}
	}
	return keys
}

// chosenOps are the wanted operations, with the sheets each is for (nil:
// every sheet). By default: correo for the sheets of issued invoices (they
// have the invoice's columns), and acuse and cuv, by their key columns,
// for the other sheets; a sheet of issued invoices often has a CUFE column
// too, and its invoices are not for an acuse, as a sheet of received
// invoices often has their numbers and dates.
func chosenOps(wanted map[string]bool, sheets []*batch.Sheet) ([]string, map[string]map[*batch.Sheet]bool) {
	var names []string
	if len(wanted) > 0 {
		for _, op := range operations {
			if wanted[op.name] {
				names = append(names, op.name)
			}
		}
		return names, nil
	}
	has := func(s *batch.Sheet, fields []batch.Field) bool {
		for _, f := range fields {
			if _, ok := s.Index[f]; !ok {
				return false
			}
		}
		return true
	}
	isInvoices := func(s *batch.Sheet) bool {
		for _, op := range operations {
			if op.name == "correo" {
				return has(s, op.needs)
			}
		}
		return false
	}
	found := map[string]map[*batch.Sheet]bool{}
	for _, s := range sheets {
		for _, op := range operations {
			if has(s, op.needs) && (op.name == "correo") == isInvoices(s) {
				if found[op.name] == nil {
					found[op.name] = map[*batch.Sheet]bool{}
				}
				found[op.name][s] = true
			}
		}
	}
	for _, op := range operations {
		if found[op.name] != nil {
			names = append(names, op.name)
		}
	}
	return names, found
}

// journals sends each operation's records to its party's journal.
type journals struct {
	def  pipeline.Journal
	byOp map[string]pipeline.Journal
}

func (j journals) of(op string) pipeline.Journal {
	if o, ok := j.byOp[op]; ok {
		return o
	}
	return j.def
}

func (j journals) Recorded(op, key string) (batch.Result, time.Time, bool, error) {
	return j.of(op).Recorded(op, key)
}

func (j journals) Begin(op, key, source, request string) (int64, error) {
	return j.of(op).Begin(op, key, source, request)
}

func (j journals) End(id int64, op, key string, ans batch.Answer, state batch.Result) error {
	return j.of(op).End(id, op, key, ans, state)
}

// jsonSummary is --json's output: the run's figures for automation.
type jsonSummary struct {
	Resultados   string                    `json:"resultados"`
	Simulacion   bool                      `json:"simulacion"`
	CodigoSalida int                       `json:"codigo_salida"`
	Detenido     string                    `json:"detenido,omitempty"`
	Inicio       time.Time                 `json:"inicio"`
	Fin          time.Time                 `json:"fin"`
	DuracionS    float64                   `json:"duracion_s"`
	Filas        int                       `json:"filas"`
	Solicitudes  int                       `json:"solicitudes"`
	Intentos     int                       `json:"intentos"`
	YaResueltas  int                       `json:"ya_resueltas"`
	Repetidas    int                       `json:"repetidas"`
	Estados      map[string]map[string]int `json:"estados"`
}

func writeJSON(w io.Writer, sum pipeline.Summary, out string, code int, dryRun bool, stopped string) {
	s := jsonSummary{
		Resultados: out, Simulacion: dryRun, CodigoSalida: code, Detenido: stopped,
		Inicio: sum.Started, Fin: sum.Ended, DuracionS: math.Round(sum.Ended.Sub(sum.Started).Seconds()*10) / 10,
		Filas: sum.Rows, Solicitudes: sum.Requests, Intentos: sum.Attempts, YaResueltas: sum.Reused, Repetidas: sum.Duplicates,
		Estados: map[string]map[string]int{},
	}
	for op, counts := range sum.Statuses {
		s.Estados[op] = map[string]int{}
		for st, n := range counts {
			s.Estados[op][string(st)] = n
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(s)
}

// report prints the run's summary for whoever watches the job.
func report(w io.Writer, sum pipeline.Summary, out string) {
	fmt.Fprintf(w, "batch: %d filas leídas, %d solicitudes distintas (%d intentos), %d ya resueltas en ejecuciones anteriores, en %s\n",
		sum.Rows, sum.Requests, sum.Attempts, sum.Reused, sum.Ended.Sub(sum.Started).Round(100*time.Millisecond))
	order := []batch.Status{batch.StatusOK, batch.StatusYaRegistrado, batch.StatusRechazado, batch.StatusInvalido, batch.StatusError, batch.StatusPendiente}
	for _, op := range operations {
		name, counts := op.name, sum.Statuses[op.name]
		if counts == nil {
			continue
		}
		var parts []string
		for _, st := range order {
			if n := counts[st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", st, n))
			}
		}
		if len(parts) == 0 {
			parts = []string{"sin filas"}
		}
		fmt.Fprintf(w, "  %s: %s\n", name, strings.Join(parts, " · "))
	}
	fmt.Fprintf(w, "  resultados: %s\n", out)
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

// onSignals handles SIGINT and SIGTERM: the first stops new requests and
// lets those under way answer for up to grace; the second ends the process
// at once. Every journal write is a committed transaction, so the journal
// is consistent whenever the process ends, and the unfinished workbook is
// removed so the output path keeps its previous complete file.
func onSignals(finished <-chan struct{}, stopStarting, stopFlight func(), grace time.Duration, tmpBook string, stderr io.Writer) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case <-sigs:
	case <-finished:
		return
	}
	fmt.Fprintf(stderr, "batch: señal recibida: no se envían más filas; se esperan hasta %s las respuestas en curso (otra señal termina de inmediato)\n", grace)
	stopStarting()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-sigs:
		os.Remove(tmpBook)
		fmt.Fprintln(stderr, "batch: segunda señal: se termina ya, sin escribir el libro. El diario está completo: la próxima ejecución continúa donde quedó")
		os.Exit(exitSomeRows)
	case <-timer.C:
		stopFlight()
	case <-finished:
	}
}

// startSandbox serves the simulated Afacturar on a loopback port for the
// length of the run, with the latency of a calm day.
func startSandbox(token, obligado, nit, clave string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	sb := sandbox.New(sandbox.Config{
		Tokens:       map[string]string{token: obligado},
		Facturadores: map[string]string{nit: clave},
		Latency:      func() time.Duration { return 200*time.Millisecond + rand.N(600*time.Millisecond) },
	})
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
