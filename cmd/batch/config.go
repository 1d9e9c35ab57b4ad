package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"batch/config"
	"batch/internal/options"
	"batch/internal/text"
	"batch/night"
)

// envOf are the options whose default comes from an environment variable.
// A variable that is set wins over the configuration file; an option on the
// command line wins over both.
var envOf = map[string]string{
	"obligado": "AFACTURAR_OBLIGADO", "clave-archivo": "BATCH_CLAVE_ARCHIVO", "soap-url": "SSINTEGRAL_URL",
	"ssintegral-nit": "SSINTEGRAL_NIT", "ssintegral-codigo-empresa": "SSINTEGRAL_CODIGO_EMPRESA",
	"ssintegral-tipo-ambiente": "SSINTEGRAL_TIPO_AMBIENTE", "ssintegral-server": "SSINTEGRAL_SERVER",
	"ssintegral-mail-facturacion": "SSINTEGRAL_MAIL_AREA_FACTURACION", "ssintegral-razon-social": "SSINTEGRAL_RAZON_SOCIAL",
	"ssintegral-dv": "SSINTEGRAL_DIGITO_VERIFICACION", "ssintegral-tipo-identificacion": "SSINTEGRAL_TIPO_IDENTIFICACION",
}

// secretOptions are never written to a file nor printed.
var secretOptions = map[string]bool{"clave-archivo": true}

func isSecret(name string) bool { return secretOptions[name] }

// configPath is --config from the arguments, or the user's
// $XDG_CONFIG_HOME/batch/config.toml when it exists; "" when there is none.
func configPath(args []string, getenv func(string) string) string {
	for i, a := range args {
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				return args[i+1]
			}
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			return a[strings.Index(a, "=")+1:]
		case a == "--":
			return ""
		}
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir == "" {
		return ""
	}
	p := filepath.Join(dir, "batch", "config.toml")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// apply gives the file's values to the options, unless the environment
// sets them; from records which ones came from the file.
func applyFile(s *config.File, fs *flag.FlagSet, getenv func(string) string, from map[string]string) error {
	names := make([]string, 0, len(s.Values))
	for name := range s.Values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if fs.Lookup(name) == nil || name == "config" {
			var names []string
			fs.VisitAll(func(fl *flag.Flag) { names = append(names, strings.ReplaceAll(fl.Name, "-", "_")) })
			key := strings.ReplaceAll(name, "-", "_")
			return fmt.Errorf("el archivo de configuración %s tiene «%s», que no es una opción de batch run%s", s.Path, key, text.DidYouMean(key, names, ""))
		}
		if v, ok := envOf[name]; ok && getenv(v) != "" {
			continue
		}
		if err := fs.Set(name, s.Values[name]); err != nil {
			return fmt.Errorf("el archivo de configuración %s: %s = %q: %v", s.Path, name, s.Values[name], err)
		}
		from[name] = "archivo " + s.Path
	}
	return nil
}

// commandLine are the options given on the command line itself, read
// apart from the file's.
func commandLine(args []string, getenv func(string) string) map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var scratch runFlags
	defineRunFlags(fs, &scratch, getenv)
	fs.String("config", "", "")
	given := map[string]bool{}
	if _, err := options.Parse(fs, args, func() {}); err == nil {
		fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	}
	return given
}

const configUsage = `Uso: batch config [--config ARCHIVO] [opciones de batch run]

Muestra la configuración que usaría batch run y de dónde sale cada valor:
la opción de la línea de órdenes, una variable de entorno, el archivo de
configuración (--config, o $XDG_CONFIG_HOME/batch/config.toml si existe) o
el valor predeterminado. Los secretos solo dicen "definido" o "falta".
`

// configCmd prints the effective settings and where each came from.
func configCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			io.WriteString(stdout, configUsage)
			return exitOK
		}
	}
	fs, f, _, err := parseSettings(args, getenv, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	if f.config != "" {
		fmt.Fprintf(stdout, "archivo de configuración: %s\n", f.config)
	} else {
		fmt.Fprintln(stdout, "archivo de configuración: ninguno")
	}
	fs.VisitAll(func(fl *flag.Flag) {
		if fl.Name == "config" {
			return
		}
		value := fl.Value.String()
		if secretOptions[fl.Name] {
			value = map[bool]string{true: "definido", false: "falta"}[value != ""]
		}
		fmt.Fprintf(stdout, "  %-32s %-28s (%s)\n", fl.Name, terminalSafe(value), f.sources[fl.Name])
	})
	secrets := []string{"AFACTURAR_TOKEN", "SSINTEGRAL_CLAVE", "BATCH_CLAVE_ARCHIVO"}
	if len(f.obligados) > 0 {
		secrets = secrets[1:] // each company's token is its own variable's
	}
	for _, v := range secrets {
		fmt.Fprintf(stdout, "  %-32s %s\n", v, defined(getenv(v)))
	}
	if len(f.obligados) > 0 {
		return showNight(f, getenv, stdout, stderr)
	}
	path, temporary, err := night.JournalPath(journalPlace(f.runJournal(), getenv), f.sandbox, f.dryRun)
	if err != nil {
		return fail(stderr, err)
	}
	if temporary {
		path = "uno temporal, solo de esta ejecución (--sandbox)"
	}
	fmt.Fprintf(stdout, "diario: %s\n", terminalSafe(path))
	return exitOK
}

func defined(v string) string {
	if v != "" {
		return "definido"
	}
	return "falta"
}

// showNight prints the night of several companies as it would run now:
// the journal, each company with its variables, what each pattern finds
// and where each output goes.
func showNight(f runFlags, getenv func(string) string, stdout, stderr io.Writer) int {
	plan, words, err := nightPlan(f, getenv)
	if err != nil {
		return fail(stderr, err)
	}
	pv, err := night.NewNight(plan).Preview()
	if err != nil {
		return fail(stderr, err)
	}
	if pv.Journal == "" {
		pv.Journal = "uno temporal, solo de esta noche (--sandbox)"
	}
	fmt.Fprintf(stdout, "diario: %s\n", terminalSafe(pv.Journal))
	if pv.Summary != "" {
		fmt.Fprintf(stdout, "resumen de la noche: %s\n", terminalSafe(pv.Summary))
	}
	for j, p := range pv.Night {
		fmt.Fprintf(stdout, "archivos de la noche «%s»: %d ahora (la columna Obligado reparte sus filas)\n", terminalSafe(p), pv.Matches[j])
	}
	for i, c := range pv.Companies {
		w := words[c.NIT]
		fmt.Fprintf(stdout, "%s\n  token: variable %s, %s\n", terminalSafe(c.Label()), w.tokenEnv, defined(c.Token))
		for j, p := range c.Patterns {
			fmt.Fprintf(stdout, "  archivos «%s»: %d ahora\n", terminalSafe(p), c.Matches[j])
		}
		fmt.Fprintf(stdout, "  libro de resultados: %s\n", terminalSafe(c.Workbook))
		if c.NoInvoicer != "" {
			fmt.Fprintf(stdout, "  correos: no se envían (%s)\n", strings.TrimSuffix(c.NoInvoicer, "; no se envió"))
		} else {
			fmt.Fprintf(stdout, "  correos: cuenta de SS Integral %s, clave en %s, %s\n", c.Facturador.NIT, w.claveEnv, defined(plan.Companies[i].Facturador.Clave))
		}
	}
	return exitOK
}

// sourceOf says where an option's value came from.
func sourceOf(name string, given map[string]bool, from map[string]string, getenv func(string) string) string {
	switch {
	case given[name]:
		return "opción"
	case from[name] != "":
		return from[name]
	case envOf[name] != "" && getenv(envOf[name]) != "":
		return "variable " + envOf[name]
	}
	return "predeterminado"
}
