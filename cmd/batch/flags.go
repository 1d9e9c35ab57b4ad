package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"batch/config"
	"batch/internal/options"
	"batch/night"
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
	limit         int // --limite
	sandbox       bool
	claveArchivo  string
	person        night.Person
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
	facturador    night.Facturador // without the Clave, which only the environment gives
	adjuntosRaiz  string
	outage        time.Duration // --espera-caida
	waitLock      time.Duration // --esperar
	hiddenSheets  bool
	noHistory     bool              // --sin-historico
	given         map[string]bool   // the flags given on the command line
	sources       map[string]string // where each option's value came from
	config        string            // the configuration file read, if any
	codigoEmpresa string            // as written, for verifyRunFlags to read
	tipoAmbiente  string
	file          *config.File     // the configuration file read, if any
	obligados     []config.Company // a night of several companies, from the file
	outDir        string           // where their workbooks go
	nightFiles    []string         // the night's own files, read for every company
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
	_, f, files, err := parseSettings(args, getenv, stderr)
	if err != nil {
		return f, nil, err
	}
	if err := verifyRunFlags(&f, files, f.codigoEmpresa, f.tipoAmbiente); err != nil {
		return f, nil, err
	}
	return f, files, nil
}

// parseSettings reads the options: the command line over the environment
// over the configuration file over the defaults, and where each came from;
// files are the command line's other words.
func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, runFlags, []string, error) {
	var f runFlags
	fs := flag.NewFlagSet("batch run", flag.ContinueOnError)
	codigoEmpresa, tipoAmbiente := defineRunFlags(fs, &f, getenv)
	fs.StringVar(&f.config, "config", "", "archivo de configuración TOML con las opciones (no los secretos); por defecto $XDG_CONFIG_HOME/batch/config.toml si existe")
	from := map[string]string{}
	if path := configPath(args, getenv); path != "" {
		s, err := config.Load(path)
		if err != nil {
			return fs, f, nil, err
		}
		if err := applyFile(s, fs, getenv, from); err != nil {
			return fs, f, nil, err
		}
		f.file, f.config, f.obligados, f.outDir, f.nightFiles = s, s.Path, s.Companies, s.OutDir, s.Archivos
	}
	files, err := options.Parse(fs, args, func() {
		fmt.Fprint(stderr, runUsage)
		options.Print(stderr, fs, isSecret)
	})
	if err != nil {
		return fs, f, nil, err
	}
	f.given = commandLine(args, getenv)
	f.sources = map[string]string{}
	fs.VisitAll(func(fl *flag.Flag) { f.sources[fl.Name] = sourceOf(fl.Name, f.given, from, getenv) })
	f.codigoEmpresa, f.tipoAmbiente = *codigoEmpresa, *tipoAmbiente
	if f.file != nil && f.runJournal() != "" && !f.given["journal"] {
		if err := f.file.MovedJournal(); err != nil {
			return fs, f, nil, err
		}
	}
	return fs, f, files, nil
}

// defineRunFlags declares batch run's options on fs, with their defaults
// from the environment. The two numbers of SS Integral come back as text,
// for verifyRunFlags to read.
func defineRunFlags(fs *flag.FlagSet, f *runFlags, getenv func(string) string) (codigoEmpresa, tipoAmbiente *string) {
	fs.StringVar(&f.out, "o", "", "libro de resultados `.xlsx` (por defecto NOMBRE-resultados.xlsx junto al primer archivo)")
	fs.StringVar(&f.ambiente, "ambiente", "pruebas", "ambiente de la DIAN: `pruebas` o produccion")
	fs.StringVar(&f.url, "url", "", "dirección del servicio (reemplaza la del ambiente), p. ej. http://127.0.0.1:8080")
	fs.StringVar(&f.obligado, "obligado", getenv("AFACTURAR_OBLIGADO"), "NIT del obligado (documento_obligado); por defecto $AFACTURAR_OBLIGADO")
	fs.IntVar(&f.rpm, "rate", 120, "solicitudes permitidas por el proveedor en cada ventana (por minuto)")
	options.Duration(fs, &f.window, "ventana", time.Minute, "la ventana del límite de --rate, si el proveedor no lo cuenta por minuto")
	fs.IntVar(&f.inFlight, "concurrencia", 0, "solicitudes simultáneas como máximo (0: las que el límite permite con la peor latencia)")
	options.Duration(fs, &f.timeout, "timeout", 90*time.Second, "espera máxima por respuesta; Afacturar espera a la DIAN hasta 60 s")
	fs.IntVar(&f.attempts, "reintentos", 8, "intentos por fila ante fallas transitorias (5xx, código 28, red)")
	fs.IntVar(&f.limit, "limite", 0, "enviar como máximo N solicitudes (por empresa en una noche de varias), para probar en producción con pocas; las demás quedan PENDIENTE sin intentar (0: sin límite)")
	fs.StringVar(&f.journal, "journal", "", "diario de la ejecución (SQLite); por defecto $XDG_STATE_HOME/batch/journal.db o ~/.local/state/batch/journal.db")
	fs.BoolVar(&f.retryRejected, "reintentar", false, "volver a enviar las filas RECHAZADO en ejecuciones anteriores (tras corregir el dato)")
	options.Duration(fs, &f.retryDelay, "espera-reintento", 2*time.Second, "espera antes del primer reintento; se duplica en cada uno, hasta 2 minutos")
	options.Duration(fs, &f.outage, "espera-caida", 30*time.Minute, "cuánto esperar a un proveedor caído (sondeándolo) antes de dejar sus filas PENDIENTE para la próxima ejecución")
	options.Duration(fs, &f.waitLock, "esperar", 0, "si otra ejecución envía con el mismo diario y el mismo token o NIT, esperar hasta este tiempo a que termine (por defecto, terminar de inmediato con código 2)")
	options.Duration(fs, &f.grace, "espera-cierre", 30*time.Second, "al recibir Ctrl+C o SIGTERM, cuánto esperar las respuestas en curso")
	fs.StringVar(&f.ops, "ops", "", "operaciones para todas las filas, separadas por comas: acuse, recibo, reclamo, historico (columna CUFE), cuv (columna CUV), correo; por defecto, las de las columnas de cada hoja (y la columna Evento)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "solo leer y revisar: escribe el libro con lo que se enviaría, sin enviar nada (lo mismo que batch check)")
	fs.BoolVar(&f.quiet, "quiet", false, "no mostrar el avance ni el resumen; solo los errores")
	fs.BoolVar(&f.json, "json", false, "al terminar, escribir el resumen en JSON en la salida estándar (para automatizar)")
	fs.BoolVar(&f.sandbox, "sandbox", false, "usar el Afacturar simulado incorporado (no envía nada a internet)")
	fs.StringVar(&f.claveArchivo, "clave-archivo", getenv("BATCH_CLAVE_ARCHIVO"), "contraseña de un .xlsx protegido; por defecto $BATCH_CLAVE_ARCHIVO")
	fs.StringVar(&f.soapURL, "soap-url", getenv("SSINTEGRAL_URL"), "dirección del servicio EnvioCorreo de SS Integral (por defecto "+night.DefaultSOAPURL+"); por defecto $SSINTEGRAL_URL")
	fs.BoolVar(&f.soap12, "soap12", false, "hablar SOAP 1.2 con SS Integral (por defecto SOAP 1.1)")
	fs.IntVar(&f.rateCorreo, "rate-correo", 30, "envíos por minuto a SS Integral, que no publica su límite: 30 deja margen; súbalo solo si SS Integral le confirma otro")
	fs.StringVar(&f.adjuntosRaiz, "adjuntos-raiz", "", "carpeta de la que se pueden tomar los archivos de la columna Adjuntos; nada fuera de ella se envía (por defecto, la carpeta de cada archivo de entrada)")
	fs.BoolVar(&f.noHistory, "sin-historico", false, "no consultar el histórico de eventos para el CUDE de un evento que ya estaba registrado (YA_REGISTRADO)")
	fs.BoolVar(&f.hiddenSheets, "hojas-ocultas", false, "leer también las hojas ocultas del libro (por defecto se omiten y se dice cuáles)")
	fs.StringVar(&f.adjuntosDir, "adjuntos-dir", "", "carpeta donde se guardan el PDF y el XML de cada factura enviada por correo (por defecto NOMBRE-adjuntos junto al libro)")
	fs.StringVar(&f.facturador.NIT, "ssintegral-nit", getenv("SSINTEGRAL_NIT"), "NIT del facturador en SS Integral; por defecto $SSINTEGRAL_NIT (la clave solo se toma de $SSINTEGRAL_CLAVE)")
	codigoEmpresa = fs.String("ssintegral-codigo-empresa", getenv("SSINTEGRAL_CODIGO_EMPRESA"), "CodigoEmpresa en SS Integral; por defecto $SSINTEGRAL_CODIGO_EMPRESA")
	tipoAmbiente = fs.String("ssintegral-tipo-ambiente", getenv("SSINTEGRAL_TIPO_AMBIENTE"), "TipoAmbiente en SS Integral (1 producción, 2 pruebas); por defecto $SSINTEGRAL_TIPO_AMBIENTE o el de --ambiente")
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
	return codigoEmpresa, tipoAmbiente
}

// verifyRunFlags refuses options that cannot make a run, before anything
// is read.
func verifyRunFlags(f *runFlags, files []string, codigoEmpresa, tipoAmbiente string) error {
	switch {
	case len(files) == 0 && len(f.obligados) == 0:
		return errors.New("falta el archivo a procesar: batch run [opciones] ARCHIVO.xlsx")
	case len(files) > 0 && len(f.obligados) > 0:
		return errors.New("el archivo de configuración lista obligados, cada uno con sus archivos: no dé archivos en la línea de órdenes")
	case f.rpm <= 0 || f.window <= 0 || f.rateCorreo <= 0:
		return errors.New("--rate, --ventana y --rate-correo deben ser mayores que 0")
	case f.timeout <= 0:
		return errors.New("--timeout debe ser mayor que 0")
	case f.limit < 0:
		return errors.New("--limite no puede ser negativo (0: sin límite)")
	case f.retryDelay <= 0 || f.grace < 0 || f.outage <= 0 || f.waitLock < 0:
		return errors.New("--espera-reintento y --espera-caida deben ser mayores que 0; --espera-cierre y --esperar no pueden ser negativas")
	case f.ambiente != "pruebas" && f.ambiente != "produccion":
		return fmt.Errorf("--ambiente %q no existe: use pruebas o produccion", f.ambiente)
	case f.sandbox && (f.given["url"] || f.given["soap-url"]):
		return errors.New("--sandbox usa solo el simulador local: no se combina con --url ni --soap-url")
	}
	if err := night.CheckOps(f.ops); err != nil {
		return fmt.Errorf("--ops: %w", err)
	}
	for _, v := range []struct {
		name, raw string
		to        *int
	}{{"--ssintegral-codigo-empresa", codigoEmpresa, &f.facturador.CodigoEmpresa}, {"--ssintegral-tipo-ambiente", tipoAmbiente, &f.facturador.TipoAmbiente}} {
		if raw := strings.TrimSpace(v.raw); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 0 {
				return fmt.Errorf("%s %q debe ser un número entero", v.name, v.raw)
			}
			*v.to = n
		}
	}
	if t := f.facturador.TipoAmbiente; t != 0 && t != 1 && t != 2 {
		return fmt.Errorf("--ssintegral-tipo-ambiente %d no existe: use 1 (producción) o 2 (pruebas)", t)
	}
	return verifyPerson(f.person)
}

// verifyPerson checks the flags of the person who received the invoices.
func verifyPerson(p night.Person) error {
	if p.TipoIdentificacion != "" && !night.ValidTipoIdentificacion(p.TipoIdentificacion) {
		return fmt.Errorf("--tipo-identificacion %q no es un código que acepte Afacturar: use %s", p.TipoIdentificacion, night.TiposValidos)
	}
	for name, v := range map[string]string{"nombres": p.Nombres, "apellidos": p.Apellidos, "cargo": p.Cargo, "area": p.Area} {
		if v != "" && len([]rune(strings.TrimSpace(v))) < 3 {
			return fmt.Errorf("--%s %q debe tener al menos 3 caracteres", name, v)
		}
	}
	return nil
}

// settings are the checked options as a run's settings, with the secrets
// and the journal's place read from the environment once, here.
func (f runFlags) settings(files []string, getenv func(string) string) night.Settings {
	fac := f.facturador
	fac.Clave = getenv("SSINTEGRAL_CLAVE")
	return night.Settings{
		Files: files, Out: f.out, Ambiente: f.ambiente, URL: f.url, Obligado: f.obligado, Token: getenv("AFACTURAR_TOKEN"),
		Facturador: fac, SOAPURL: f.soapURL, SOAP12: f.soap12, Sandbox: f.sandbox,
		Rate: f.rpm, Window: f.window, RateCorreo: f.rateCorreo, InFlight: f.inFlight, Timeout: f.timeout, Attempts: f.attempts, Limit: f.limit,
		RetryDelay: f.retryDelay, Grace: f.grace, Outage: f.outage, WaitLock: f.waitLock,
		Journal:       journalPlace(f.runJournal(), getenv),
		RetryRejected: f.retryRejected, Ops: f.ops, DryRun: f.dryRun, FilePassword: f.claveArchivo,
		HiddenSheets: f.hiddenSheets, NoHistory: f.noHistory, Person: f.person,
		AdjuntosDir: f.adjuntosDir, AdjuntosRaiz: f.adjuntosRaiz,
	}
}

// journalPlace is the journal named with --journal, or the user's own
// under XDG_STATE_HOME or HOME.
func journalPlace(path string, getenv func(string) string) night.JournalPlace {
	return night.JournalPlace{Path: path, StateHome: getenv("XDG_STATE_HOME"), Home: getenv("HOME")}
}

// runJournal is the journal a run names: a sandbox run keeps its own unless
// --journal names one on its command line, so that the configuration's
// journal, the real nights', never holds a simulated answer.
func (f runFlags) runJournal() string {
	if f.sandbox && !f.given["journal"] {
		return ""
	}
	return f.journal
}
