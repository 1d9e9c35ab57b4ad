package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"batch"
	"batch/config"
	"batch/internal/options"
	"batch/internal/text"
	"batch/night"
)

// runOptions are batch run's options, bound straight into the settings a
// run opens with; the rest are the command line's own.
type runOptions struct {
	night.Settings
	flags       *flag.FlagSet
	config      string // --config
	quiet, json bool
	empresas    []string          // --empresa: the companies of the file to run
	file        *config.File      // the configuration file read, if any
	sources     map[string]string // where each option's value came from
}

// rate is how the options reach a provider.
func (o *runOptions) rate(s batch.Service) night.Reach { return *o.Reach[s] }

// given reports whether an option was given on the command line itself.
func (o *runOptions) given(name string) bool { return o.sources[name] == "opción" }

// envOf are the options whose value an environment variable gives when the
// command line does not: over the configuration file, under the command
// line.
var envOf = map[string]string{
	"obligado": "AFACTURAR_OBLIGADO", "clave-archivo": "BATCH_CLAVE_ARCHIVO", "soap-url": "SSINTEGRAL_URL",
	"ssintegral-nit": "SSINTEGRAL_NIT", "ssintegral-codigo-empresa": "SSINTEGRAL_CODIGO_EMPRESA",
	"ssintegral-tipo-ambiente": "SSINTEGRAL_TIPO_AMBIENTE", "ssintegral-server": "SSINTEGRAL_SERVER",
	"ssintegral-mail-facturacion": "SSINTEGRAL_MAIL_AREA_FACTURACION", "ssintegral-razon-social": "SSINTEGRAL_RAZON_SOCIAL",
	"ssintegral-dv": "SSINTEGRAL_DIGITO_VERIFICACION", "ssintegral-tipo-identificacion": "SSINTEGRAL_TIPO_IDENTIFICACION",
}

// isSecret: the option is never written to a file nor printed.
func isSecret(name string) bool { return name == "clave-archivo" }

// bindRun declares batch run's options on fs, each bound to the field it
// sets.
func bindRun(fs *flag.FlagSet, o *runOptions) {
	s, p, f, d := &o.Settings, &o.Person, &o.Facturador, night.Defaults()
	s.Reach = map[batch.Service]*night.Reach{}
	for _, p := range batch.Providers() {
		s.Reach[p.Service] = &night.Reach{Rate: p.Rate, Window: p.Window}
	}
	rest, soap := s.Reach[batch.ServiceAfacturar], s.Reach[batch.ServiceSSIntegral]
	soapURL, _ := batch.ProviderOf(batch.ServiceSSIntegral)
	fs.StringVar(&o.config, "config", "", "archivo de configuración TOML con las opciones (no los secretos); por defecto $XDG_CONFIG_HOME/batch/config.toml si existe")
	fs.StringVar(&s.Out, "o", "", "libro de resultados `.xlsx` (por defecto NOMBRE-resultados.xlsx junto al primer archivo)")
	fs.StringVar(&s.Ambiente, "ambiente", d.Ambiente, "ambiente de la DIAN: `pruebas` o produccion")
	fs.StringVar(&rest.URL, "url", "", "dirección del servicio (reemplaza la del ambiente), p. ej. http://127.0.0.1:8080")
	options.NIT(fs, &s.Obligado, "obligado", "NIT del obligado (documento_obligado); por defecto $AFACTURAR_OBLIGADO")
	fs.IntVar(&rest.Rate, "rate", rest.Rate, "solicitudes permitidas por el proveedor en cada ventana (por minuto)")
	options.Duration(fs, &rest.Window, "ventana", rest.Window, "la ventana del límite de --rate, si el proveedor no lo cuenta por minuto")
	fs.IntVar(&s.InFlight, "concurrencia", 0, "solicitudes simultáneas como máximo (0: las que el límite permite con la peor latencia)")
	options.Duration(fs, &s.Timeout, "timeout", d.Timeout, "espera máxima por respuesta; Afacturar espera a la DIAN hasta 60 s")
	fs.IntVar(&s.Attempts, "reintentos", d.Attempts, "intentos por fila ante fallas transitorias (5xx, código 28, red)")
	fs.IntVar(&s.Limit, "limite", 0, "enviar como máximo N solicitudes (por empresa en una noche de varias), para probar en producción con pocas; las demás quedan PENDIENTE sin intentar (0: sin límite)")
	fs.StringVar(&s.Journal.Path, "journal", "", "diario de la ejecución (SQLite); por defecto $XDG_STATE_HOME/batch/journal.db o ~/.local/state/batch/journal.db")
	fs.IntVar(&s.Journal.Copies, "copias-diario", d.Journal.Copies, "copias del diario que se guardan, una por noche, en la carpeta DIARIO.copias junto a él (0: ninguna)")
	fs.BoolVar(&s.Journal.Fresh, "diario-nuevo", false, "empezar un diario vacío aunque haya señales de que existía uno (cerrojos, copias, la nota de la carpeta de estado): se reenviará lo que ese diario tenía por enviado")
	fs.BoolVar(&s.RetryRejected, "reintentar", false, "volver a enviar las filas RECHAZADO en ejecuciones anteriores (tras corregir el dato)")
	options.List(fs, &o.empresas, "empresa", "en una noche de varias empresas, correr solo estas (su nombre o su NIT en el archivo de configuración); se puede repetir")
	options.List(fs, &s.Resend, "reenviar", "volver a enviar estas claves aunque el diario diga que ya se enviaron o que pueden haberse enviado (REVISAR): facturas como \"FE 123\" o CUFE, separadas por comas; se puede repetir")
	options.Duration(fs, &s.RetryDelay, "espera-reintento", d.RetryDelay, "espera antes del primer reintento; se duplica en cada uno, hasta 2 minutos")
	options.Duration(fs, &s.Outage, "espera-caida", d.Outage, "cuánto esperar a un proveedor caído (sondeándolo) antes de dejar sus filas PENDIENTE para la próxima ejecución")
	options.Duration(fs, &s.WaitLock, "esperar", 0, "si otra ejecución envía con el mismo diario y el mismo token o NIT, esperar hasta este tiempo a que termine (por defecto, terminar de inmediato con código 2)")
	options.Duration(fs, &s.Grace, "espera-cierre", d.Grace, "al recibir Ctrl+C o SIGTERM, cuánto esperar las respuestas en curso")
	fs.StringVar(&s.Ops, "ops", "", "operaciones para todas las filas, separadas por comas: acuse, recibo, reclamo, historico, tenedor (columna CUFE), cuv (columna CUV), correo; por defecto, las de las columnas de cada hoja (y la columna Evento)")
	fs.BoolVar(&s.DryRun, "dry-run", false, "solo leer y revisar: escribe el libro con lo que se enviaría, sin enviar nada (lo mismo que batch check)")
	fs.BoolVar(&o.quiet, "quiet", false, "no mostrar el avance ni el resumen; solo los errores")
	fs.BoolVar(&o.json, "json", false, "al terminar, escribir el resumen en JSON en la salida estándar (para automatizar)")
	fs.BoolVar(&s.Sandbox, "sandbox", false, "usar el Afacturar simulado incorporado (no envía nada a internet)")
	fs.StringVar(&s.FilePassword, "clave-archivo", "", "contraseña de un .xlsx protegido; por defecto $BATCH_CLAVE_ARCHIVO")
	fs.StringVar(&soap.URL, "soap-url", "", "dirección del servicio EnvioCorreo de SS Integral (por defecto "+soapURL.Addresses["produccion"]+"); por defecto $SSINTEGRAL_URL")
	fs.BoolVar(&s.SOAP12, "soap12", false, "hablar SOAP 1.2 con SS Integral (por defecto SOAP 1.1)")
	fs.IntVar(&soap.Rate, "rate-correo", soap.Rate, "envíos por minuto a SS Integral, que no publica su límite: 30 deja margen; súbalo solo si SS Integral le confirma otro")
	fs.StringVar(&s.AdjuntosRaiz, "adjuntos-raiz", "", "carpeta de la que se pueden tomar los archivos de la columna Adjuntos; nada fuera de ella se envía (por defecto, la carpeta de cada archivo de entrada)")
	fs.BoolVar(&s.NoHistory, "sin-historico", false, "no consultar el histórico de eventos para el CUDE de un evento que ya estaba registrado (YA_REGISTRADO)")
	fs.BoolVar(&s.HiddenSheets, "hojas-ocultas", false, "leer también las hojas ocultas del libro (por defecto se omiten y se dice cuáles)")
	fs.StringVar(&s.AdjuntosDir, "adjuntos-dir", "", "carpeta donde se guardan el PDF y el XML de cada factura enviada por correo (por defecto NOMBRE-adjuntos junto al libro)")
	options.NIT(fs, &f.NIT, "ssintegral-nit", "NIT del facturador en SS Integral; por defecto $SSINTEGRAL_NIT (la clave solo se toma de $SSINTEGRAL_CLAVE)")
	fs.IntVar(&f.CodigoEmpresa, "ssintegral-codigo-empresa", 0, "CodigoEmpresa en SS Integral; por defecto $SSINTEGRAL_CODIGO_EMPRESA")
	fs.IntVar(&f.TipoAmbiente, "ssintegral-tipo-ambiente", 0, "TipoAmbiente en SS Integral (1 producción, 2 pruebas); por defecto $SSINTEGRAL_TIPO_AMBIENTE o el de --ambiente")
	fs.StringVar(&f.Server, "ssintegral-server", "", "campo server de SS Integral; por defecto $SSINTEGRAL_SERVER")
	fs.StringVar(&f.MailAreaFacturacion, "ssintegral-mail-facturacion", "", "correo del área de facturación (MailAreaFacturacionFacturador); por defecto $SSINTEGRAL_MAIL_AREA_FACTURACION")
	fs.StringVar(&f.RazonSocial, "ssintegral-razon-social", "", "razón social del facturador; por defecto $SSINTEGRAL_RAZON_SOCIAL")
	fs.StringVar(&f.DigitoVerificacion, "ssintegral-dv", "", "dígito de verificación del NIT del facturador; por defecto $SSINTEGRAL_DIGITO_VERIFICACION")
	fs.StringVar(&f.TipoIdentificacion, "ssintegral-tipo-identificacion", "", "tipo de identificación del facturador (31 = NIT); por defecto $SSINTEGRAL_TIPO_IDENTIFICACION")
	fs.StringVar(&p.TipoIdentificacion, "tipo-identificacion", "", "tipo de documento de quien recibió, si el archivo no lo trae (13, CC, 31, NIT...)")
	fs.StringVar(&p.Identificacion, "identificacion", "", "número de documento de quien recibió, si el archivo no lo trae")
	fs.StringVar(&p.Nombres, "nombres", "", "nombres de quien recibió, si el archivo no los trae")
	fs.StringVar(&p.Apellidos, "apellidos", "", "apellidos de quien recibió, si el archivo no los trae")
	fs.StringVar(&p.Cargo, "cargo", "", "cargo de quien recibió (opcional)")
	fs.StringVar(&p.Area, "area", "", "área de quien recibió (opcional)")
}

// parseOptions reads the command line once, then gives every option it
// did not set its value from the environment, or else from the
// configuration file.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*runOptions, []string, error) {
	o := &runOptions{flags: flag.NewFlagSet("batch run", flag.ContinueOnError), sources: map[string]string{}}
	bindRun(o.flags, o)
	files, err := options.Parse(o.flags, args, func() {
		fmt.Fprint(stderr, help("run"))
		options.Print(stderr, o.flags, isSecret)
	})
	if err == nil {
		err = o.fill(getenv)
	}
	return o, files, err
}

// fill gives the options the command line did not set their values from
// the environment or the configuration file, and records where each value
// came from.
func (o *runOptions) fill(getenv func(string) string) error {
	o.flags.Visit(func(fl *flag.Flag) { o.sources[fl.Name] = "opción" })
	if o.config == "" {
		o.config = config.UserPath(getenv)
	}
	if o.config != "" {
		file, err := config.Load(o.config)
		if err != nil {
			return err
		}
		o.file, o.config = file, file.Path
		if err := o.applyFile(); err != nil {
			return err
		}
		if err := file.Only(o.empresas); err != nil {
			return err
		}
	}
	if err := o.applyEnv(getenv); err != nil {
		return err
	}
	o.Ambiente = night.AmbienteOf(o.Ambiente)
	o.flags.VisitAll(func(fl *flag.Flag) {
		if o.sources[fl.Name] == "" {
			o.sources[fl.Name] = "predeterminado"
		}
	})
	if o.file != nil && o.runJournal() != "" && !o.given("journal") {
		return o.file.MovedJournal()
	}
	return nil
}

// names are a single run's names, with where the configuration file set
// a setting.
func (o *runOptions) names() *names {
	n := *single
	n.where = func(setting string) string {
		if src, ok := strings.CutPrefix(o.sources[settingFlag(setting)], "archivo "); ok {
			return src
		}
		return ""
	}
	return &n
}

// applyFile gives the file's values to the options the command line did
// not set.
func (o *runOptions) applyFile() error {
	s, fs := o.file, o.flags
	names := make([]string, 0, len(s.Values))
	for name := range s.Values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		at := s.Path
		if where := s.Where(0, name); where != "" {
			at = where
		}
		if name == "reenviar" || name == "diario-nuevo" {
			key := strings.ReplaceAll(name, "-", "_")
			return fmt.Errorf("el archivo de configuración %s tiene «%s»: es una decisión de una ejecución, no de todas las noches; use --%s en la línea de órdenes", at, key, name)
		}
		if fs.Lookup(name) == nil || name == "config" {
			var known []string
			fs.VisitAll(func(fl *flag.Flag) { known = append(known, strings.ReplaceAll(fl.Name, "-", "_")) })
			key := strings.ReplaceAll(name, "-", "_")
			return fmt.Errorf("el archivo de configuración %s tiene «%s», que no es una opción de batch run%s", at, key, text.DidYouMean(key, known, ""))
		}
		if o.given(name) {
			continue
		}
		if err := fs.Set(name, s.Values[name]); err != nil {
			return fmt.Errorf("el archivo de configuración %s: %s = %q: %v", at, name, s.Values[name], err)
		}
		o.sources[name] = "archivo " + at
	}
	return nil
}

// applyEnv gives the variables' values to the options the command line
// did not set.
func (o *runOptions) applyEnv(getenv func(string) string) error {
	for name, variable := range envOf {
		v := getenv(variable)
		if v == "" || o.given(name) {
			continue
		}
		if err := o.flags.Set(name, v); err != nil {
			return fmt.Errorf("la variable %s = %q no es válida: %s", variable, v, strings.TrimPrefix(err.Error(), "parse error"))
		}
		o.sources[name] = "variable " + variable
	}
	return nil
}

// parseRun reads batch run's options and refuses those that cannot make a
// run, before anything is read.
func parseRun(args []string, getenv func(string) string, stderr io.Writer) (*runOptions, []string, error) {
	o, files, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return o, nil, err
	}
	return o, files, o.verify(files)
}

func (o *runOptions) verify(files []string) error {
	several := o.file != nil && len(o.file.Companies) > 0
	switch {
	case len(o.empresas) > 0 && !several:
		return errors.New("--empresa elige empresas de una noche de varias: úselo con el archivo de configuración que las lista (--config)")
	case several && o.given("obligado"):
		return errors.New("el archivo de configuración lista obligados, cada uno con su nit: --obligado no elige uno; use --empresa NOMBRE o NIT")
	case len(files) == 0 && !several:
		return errors.New("falta el archivo a procesar: batch run [opciones] ARCHIVO.xlsx")
	case len(files) > 0 && several:
		return errors.New("el archivo de configuración lista obligados, cada uno con sus archivos: no dé archivos en la línea de órdenes")
	case slices.ContainsFunc(batch.Providers(), func(p batch.Provider) bool { r := o.rate(p.Service); return r.Rate <= 0 || r.Window <= 0 }):
		return errors.New("--rate, --ventana y --rate-correo deben ser mayores que 0") // 0 here is not the provider's own
	case len(o.Resend) > 0 && several && len(o.file.Companies) > 1:
		return errors.New("--reenviar nombra claves de un obligado: úselo en una ejecución de ese obligado con sus archivos, no en la noche de varias empresas")
	case o.Sandbox && (o.given("url") || o.given("soap-url")):
		return errors.New("--sandbox usa solo el simulador local: no se combina con --url ni --soap-url")
	}
	return o.Settings.Check()
}

// settings are the options as a run's settings, with its files, the
// secrets and the journal's place read from the environment once, here.
func (o *runOptions) settings(files []string, getenv func(string) string) night.Settings {
	s := o.Settings
	s.Files, s.Token, s.Facturador.Clave = files, getenv("AFACTURAR_TOKEN"), getenv("SSINTEGRAL_CLAVE")
	place := journalPlace(o.runJournal(), getenv)
	place.Fresh, place.Copies = s.Journal.Fresh, s.Journal.Copies
	s.Journal = place
	return s
}

// journalPlace is the journal named, or the user's own under
// XDG_STATE_HOME or HOME.
func journalPlace(path string, getenv func(string) string) night.JournalPlace {
	return night.JournalPlace{Path: path, StateHome: getenv("XDG_STATE_HOME"), Home: getenv("HOME"), Service: getenv("STATE_DIRECTORY")}
}

// runJournal is the journal a run names: a sandbox run keeps its own unless
// --journal names one on its command line, so that the configuration's
// journal, the real nights', never holds a simulated answer.
func (o *runOptions) runJournal() string {
	if o.Sandbox && !o.given("journal") {
		return ""
	}
	return o.Journal.Path
}
