package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
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

// settings are the options a configuration file gives, by option name,
// and the companies of a night of several.
type settings struct {
	path      string
	values    map[string]string
	companies []company
	outDir    string // carpeta_resultados: where each company's workbook and the night's summary go
}

// company is one obligado of a night of several: its NIT, the name of the
// variable that holds its token, and its input files (globs).
type company struct {
	Nombre     string
	NIT        string
	TokenEnv   string
	Archivos   []string
	Resultados string // its workbook; by default NIT-resultados.xlsx in carpeta_resultados
}

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

// loadSettings reads a TOML file: top-level keys are batch run's options
// (espera_reintento or espera-reintento); [persona] holds the person who
// receives (nombres, apellidos…) and [ssintegral] the invoicer (nit,
// codigo_empresa…, url, soap12, rate). A key that holds a secret refuses
// the file: secrets only come from the environment.
func loadSettings(path string) (*settings, error) {
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		return nil, fmt.Errorf("el archivo de configuración %s no se puede leer: %v", path, err)
	}
	s := &settings{path: path, values: map[string]string{}}
	if err := s.takeCompanies(raw); err != nil {
		return nil, err
	}
	for key, v := range raw {
		section, ok := v.(map[string]any)
		if !ok {
			if err := s.put("", key, v); err != nil {
				return nil, err
			}
			continue
		}
		for k, sv := range section {
			if err := s.put(key, k, sv); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// takeCompanies reads [[obligados]] and carpeta_resultados out of raw.
func (s *settings) takeCompanies(raw map[string]any) error {
	if dir, ok := raw["carpeta_resultados"].(string); ok {
		s.outDir = dir
		delete(raw, "carpeta_resultados")
	}
	list, ok := raw["obligados"]
	if !ok {
		return nil
	}
	delete(raw, "obligados")
	tables, ok := list.([]map[string]any)
	if !ok {
		return fmt.Errorf("el archivo de configuración %s: obligados debe ser una lista de tablas [[obligados]]", s.path)
	}
	for i, t := range tables {
		c, err := s.company(i+1, t)
		if err != nil {
			return err
		}
		s.companies = append(s.companies, c)
	}
	return nil
}

// company reads one [[obligados]] table.
func (s *settings) company(n int, t map[string]any) (company, error) {
	var c company
	for k, v := range t {
		switch k {
		case "nombre":
			c.Nombre = fmt.Sprint(v)
		case "nit":
			c.NIT = strings.TrimSpace(fmt.Sprint(v))
		case "token_env":
			c.TokenEnv = fmt.Sprint(v)
		case "resultados":
			c.Resultados = fmt.Sprint(v)
		case "archivos":
			list, _ := v.([]any)
			for _, a := range list {
				c.Archivos = append(c.Archivos, fmt.Sprint(a))
			}
		default:
			if strings.Contains(k, "token") || strings.Contains(k, "clave") {
				return c, fmt.Errorf("el archivo de configuración %s tiene «%s» en el obligado %d: los secretos no van en archivos; use token_env con el nombre de la variable que tiene el token", s.path, k, n)
			}
			return c, fmt.Errorf("el archivo de configuración %s: el obligado %d tiene «%s»; use nombre, nit, token_env, archivos y resultados", s.path, n, k)
		}
	}
	switch {
	case c.NIT == "":
		return c, fmt.Errorf("el archivo de configuración %s: al obligado %d le falta nit", s.path, n)
	case !envName.MatchString(c.TokenEnv):
		return c, fmt.Errorf("el archivo de configuración %s: el obligado %s necesita token_env, el nombre de la variable de entorno con su token (p. ej. AFACTURAR_TOKEN_ACME)", s.path, c.NIT)
	case len(c.Archivos) == 0:
		return c, fmt.Errorf("el archivo de configuración %s: el obligado %s no tiene archivos", s.path, c.NIT)
	}
	return c, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (s *settings) put(section, key string, v any) error {
	full := strings.ToLower(strings.TrimPrefix(section+"."+key, "."))
	if strings.Contains(full, "token") || strings.Contains(full, "clave") {
		return fmt.Errorf("el archivo de configuración %s tiene «%s»: los secretos no van en archivos. Use las variables de entorno AFACTURAR_TOKEN, SSINTEGRAL_CLAVE o BATCH_CLAVE_ARCHIVO", s.path, full)
	}
	name := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	switch section {
	case "":
		if name == "salida" {
			name = "o" // the result workbook, as -o
		}
	case "persona":
	case "ssintegral":
		switch name {
		case "url":
			name = "soap-url"
		case "soap12":
		case "rate":
			name = "rate-correo"
		default:
			name = "ssintegral-" + name
		}
	default:
		return fmt.Errorf("el archivo de configuración %s tiene la sección [%s], que batch no conoce: use [persona] o [ssintegral]", s.path, section)
	}
	s.values[name] = fmt.Sprint(v)
	return nil
}

// apply gives the file's values to the options, unless the environment
// sets them; from records which ones came from the file.
func (s *settings) apply(fs *flag.FlagSet, getenv func(string) string, from map[string]string) error {
	names := make([]string, 0, len(s.values))
	for name := range s.values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if fs.Lookup(name) == nil || name == "config" {
			return fmt.Errorf("el archivo de configuración %s tiene «%s», que no es una opción de batch run", s.path, name)
		}
		if v, ok := envOf[name]; ok && getenv(v) != "" {
			continue
		}
		if err := fs.Set(name, s.values[name]); err != nil {
			return fmt.Errorf("el archivo de configuración %s: %s = %q: %v", s.path, name, s.values[name], err)
		}
		from[name] = "archivo " + s.path
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
	if fs.Parse(args) == nil {
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
	fs, f, err := parseSettings(args, getenv, stderr)
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
	for _, v := range []string{"AFACTURAR_TOKEN", "SSINTEGRAL_CLAVE", "BATCH_CLAVE_ARCHIVO"} {
		state := "falta"
		if getenv(v) != "" {
			state = "definido"
		}
		fmt.Fprintf(stdout, "  %-32s %s\n", v, state)
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
