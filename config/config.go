// Package config reads batch's configuration file: TOML whose top-level
// keys are batch run's options, with [persona] and [ssintegral] tables and
// the [[obligados]] of a night of several companies. Secrets never come
// from it: a key that would hold one refuses the file.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"batch"
	"batch/cells"
	"batch/internal/text"
	"batch/nit"
)

// File is what a configuration file gives: option values by option name,
// and the companies of a night of several. Every path in it is absolute:
// one written relative is read from the file's own folder, whatever folder
// batch starts in.
type File struct {
	Path      string // absolute
	Values    map[string]string
	Companies []Company
	// Archivos are the night's own files, read for every company, whose
	// Obligado column says whose each row is.
	Archivos []string
	// OutDir is carpeta_resultados, where each company's workbook and the
	// night's summary go: by default the file's own folder.
	OutDir string
	// written are the path options as the file writes them, for
	// MovedJournal.
	written map[string]string
	// lines are the file's lines, to name where a refused value is.
	lines []string
}

// Company is one obligado of a night of several: its NIT, the name of the
// variable that holds its token, and its input files (globs).
type Company struct {
	// Persona and SSIntegral are the company's own [obligados.persona] and
	// [obligados.ssintegral]: what they set, over the file's defaults.
	Persona    Persona
	SSIntegral SSIntegral

	Nombre     string
	NIT        string
	TokenEnv   string
	Archivos   []string
	Resultados string // its workbook; by default NIT-resultados.xlsx in carpeta_resultados
}

// Persona is a company's [obligados.persona]: nil where it says nothing.
type Persona struct {
	TipoIdentificacion, Identificacion, Nombres, Apellidos, Cargo, Area *string
}

// SSIntegral is a company's [obligados.ssintegral]: nil where it says
// nothing. ClaveEnv names the variable holding its clave.
type SSIntegral struct {
	Set                                                               bool // the table is there
	ClaveEnv                                                          string
	NIT, Server, MailFacturacion, RazonSocial, DV, TipoIdentificacion *string
	CodigoEmpresa, TipoAmbiente                                       *int
}

// UserPath is the user's own configuration file,
// $XDG_CONFIG_HOME/batch/config.toml (~/.config/batch/config.toml), when
// it exists; "" when there is none.
func UserPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if home := getenv("HOME"); dir == "" && home != "" {
		dir = filepath.Join(home, ".config")
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

// Load reads a TOML file: top-level keys are batch run's options
// (espera_reintento or espera-reintento); [persona] holds the person who
// receives (nombres, apellidos…) and [ssintegral] the invoicer (nit,
// codigo_empresa…, url, soap12, rate). A key that holds a secret refuses
// the file: secrets only come from the environment.
func Load(path string) (*File, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if err := trusted(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("el archivo de configuración %s no existe: revise la ruta (--config)", path)
		}
		return nil, fmt.Errorf("el archivo de configuración %s no se puede leer: %v", path, err)
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			hint := "revise comillas, el signo = y los corchetes de esa línea"
			if lines := strings.Split(string(data), "\n"); perr.Position.Line <= len(lines) && strings.Contains(lines[perr.Position.Line-1], `\`) {
				hint = `una ruta de Windows va entre comillas simples, que no leen \ como escape: 'C:\datos\*.csv'`
			}
			return nil, fmt.Errorf("el archivo de configuración %s no es TOML válido en la línea %d: %s", path, perr.Position.Line, hint)
		}
		return nil, fmt.Errorf("el archivo de configuración %s no es TOML válido: revise comillas, el signo = y los corchetes", path)
	}
	s := &File{Path: path, Values: map[string]string{}, lines: strings.Split(string(data), "\n")}
	if key := secretKey(raw, ""); key != "" {
		table, last := "", key
		if i := strings.LastIndex(key, "."); i >= 0 {
			table, last = key[:i], key[i+1:]
		}
		return nil, fmt.Errorf("%s tiene «%s»%s: los secretos no van en archivos; déjelos en variables de entorno y nombre la variable con token_env o clave_env", s.at(table, 0, last), key,
			text.DidYouMean(last, []string{"token_env", "clave_env"}, ""))
	}
	if err := s.takeCompanies(raw); err != nil {
		return nil, err
	}
	if err := s.secretVariables(); err != nil {
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
	s.resolvePaths()
	return s, nil
}

// pathOptions are the options that name a file or a folder.
var pathOptions = []string{"o", "journal", "adjuntos-dir", "adjuntos-raiz"}

// resolvePaths makes every path of the file absolute, a relative one read
// from the file's own folder: a night started by cron or the Task
// Scheduler in another folder uses the same journal, files and outputs.
func (s *File) resolvePaths() {
	dir := filepath.Dir(s.Path)
	s.written = map[string]string{}
	for _, name := range pathOptions {
		if v, ok := s.Values[name]; ok && v != "" {
			s.written[name] = v
			s.Values[name] = resolve(dir, v)
		}
	}
	s.OutDir = resolve(dir, s.OutDir)
	for i, p := range s.Archivos {
		s.Archivos[i] = resolve(dir, p)
	}
	for i := range s.Companies {
		c := &s.Companies[i]
		for j, p := range c.Archivos {
			c.Archivos[j] = resolve(dir, p)
		}
		if c.Resultados != "" {
			c.Resultados = resolve(dir, c.Resultados)
		}
	}
}

// resolve is path read from dir. A Windows path with its drive or server
// is absolute on any system, as the file was written for one.
func resolve(dir, path string) string {
	if absolute(path) {
		return path
	}
	return filepath.Join(dir, path)
}

func absolute(path string) bool { return filepath.IsAbs(path) || windowsAbs.MatchString(path) }

var windowsAbs = regexp.MustCompile(`^([A-Za-z]:[\\/]|\\\\)`)

// MovedJournal refuses the journal the file names where an earlier batch
// kept it somewhere else: a relative journal was once read from the folder
// the night started in, and a night that found none there would have
// started an empty one and sent everything again. nil when the file names
// no journal, names it absolute, or no other is found.
func (s *File) MovedJournal() error {
	written := s.written["journal"]
	if written == "" || absolute(written) {
		return nil
	}
	old, err := filepath.Abs(written)
	if err != nil || old == s.Values["journal"] {
		return nil
	}
	oldSt, err := os.Stat(old)
	if err != nil {
		return nil
	}
	now := s.Values["journal"]
	newSt, err := os.Stat(now)
	switch {
	case err != nil:
		return fmt.Errorf("el archivo de configuración %s dice journal = %q, que se lee junto a él: %s. Allí no hay diario, pero hay uno en %s, donde lo dejaba una versión anterior de batch al arrancar en esa carpeta. Muévalo a %s (con sus archivos -wal y -shm, si los tiene) o escriba en journal su ruta completa; batch no empieza un diario vacío mientras haya otro",
			s.Path, written, now, old, now)
	case !os.SameFile(oldSt, newSt):
		return fmt.Errorf("el archivo de configuración %s dice journal = %q, que se lee junto a él (%s), pero hay otro diario en %s, donde lo dejaba una versión anterior de batch al arrancar en esa carpeta. Quédese con uno: mueva o borre el otro, o escriba en journal la ruta completa del que corresponde",
			s.Path, written, now, old)
	}
	return nil
}

// takeCompanies reads [[obligados]] and carpeta_resultados out of raw.
func (s *File) takeCompanies(raw map[string]any) error {
	if dir, ok := raw["carpeta_resultados"].(string); ok && dir != "" {
		s.OutDir = dir
		delete(raw, "carpeta_resultados")
	}
	if list, ok := raw["archivos"].([]any); ok {
		for _, a := range list {
			s.Archivos = append(s.Archivos, fmt.Sprint(a))
		}
		delete(raw, "archivos")
	}
	list, ok := raw["obligados"]
	if !ok {
		return nil
	}
	delete(raw, "obligados")
	tables, ok := list.([]map[string]any)
	if !ok {
		return fmt.Errorf("%s: obligados debe ser una lista de tablas [[obligados]]", s.at("", 0, "obligados"))
	}
	for i, t := range tables {
		c, err := s.company(i+1, t)
		if err != nil {
			return err
		}
		s.Companies = append(s.Companies, c)
	}
	return nil
}

// company reads one [[obligados]] table.
func (s *File) company(n int, t map[string]any) (Company, error) {
	var c Company
	for k, v := range t {
		switch k {
		case "nombre":
			c.Nombre = fmt.Sprint(v)
		case "nit":
			parsed, err := nit.Parse(fmt.Sprint(v))
			if err != nil {
				return c, fmt.Errorf("%s: %v (nit del obligado %d)", s.at("obligados", n, "nit"), err, n)
			}
			c.NIT = parsed
		case "token_env":
			c.TokenEnv = fmt.Sprint(v)
		case "resultados":
			c.Resultados = fmt.Sprint(v)
		case "archivos":
			list, _ := v.([]any)
			for _, a := range list {
				c.Archivos = append(c.Archivos, fmt.Sprint(a))
			}
		case "persona", "ssintegral":
			table, ok := v.(map[string]any)
			if !ok {
				return c, fmt.Errorf("%s: en el obligado %d, %s debe ser una tabla [obligados.%s]", s.at("obligados", n, k), n, k, k)
			}
			if err := s.companyTable(&c, n, k, table); err != nil {
				return c, err
			}
		default:
			if strings.Contains(k, "token") || strings.Contains(k, "clave") {
				return c, fmt.Errorf("%s tiene «%s» en el obligado %d%s: los secretos no van en archivos; use token_env con el nombre de la variable que tiene el token", s.at("obligados", n, k), k, n,
					text.DidYouMean(k, []string{"token_env"}, ""))
			}
			return c, fmt.Errorf("%s: el obligado %d tiene «%s»%s; use nombre, nit, token_env, archivos, resultados, [obligados.persona] y [obligados.ssintegral]", s.at("obligados", n, k), n, k,
				text.DidYouMean(k, []string{"nombre", "nit", "token_env", "archivos", "resultados", "persona", "ssintegral"}, ""))
		}
	}
	switch {
	case c.NIT == "":
		return c, fmt.Errorf("%s: al obligado %d le falta nit", s.at("obligados", n, ""), n)
	case !envName.MatchString(c.TokenEnv):
		return c, fmt.Errorf("%s: el obligado %s necesita token_env, el nombre de la variable de entorno con su token (p. ej. AFACTURAR_TOKEN_ACME)", s.at("obligados", n, "token_env"), c.NIT)
	case len(c.Archivos) == 0:
		return c, fmt.Errorf("%s: el obligado %s no tiene archivos", s.at("obligados", n, "archivos"), c.NIT)
	}
	return c, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretWords name a key that would hold a secret, at any depth.
var secretWords = []string{"token", "clave", "password", "secret", "contraseña", "contrasena"}

// secretKey is the first key, at any depth, named like a secret ("" when
// none is): only token_env and clave_env, which name variables, may say
// so.
func secretKey(t map[string]any, prefix string) string {
	for k, v := range t {
		full := strings.TrimPrefix(prefix+"."+k, ".")
		lower := strings.ToLower(k)
		if lower != "token_env" && lower != "clave_env" {
			for _, w := range secretWords {
				if strings.Contains(lower, w) {
					return full
				}
			}
		}
		switch v := v.(type) {
		case map[string]any:
			if key := secretKey(v, full); key != "" {
				return key
			}
		case []map[string]any:
			for _, e := range v {
				if key := secretKey(e, full); key != "" {
					return key
				}
			}
		}
	}
	return ""
}

// toolSecrets are the variables batch itself reads a secret from, by what
// they hold.
var toolSecrets = map[string]string{"AFACTURAR_TOKEN": "token", "SSINTEGRAL_CLAVE": "clave", "BATCH_CLAVE_ARCHIVO": "clave-archivo"}

// secretVariables refuses a token_env or clave_env that names a variable
// of another secret (the tool's own, or another company's): its value
// would be sent where it does not belong.
func (s *File) secretVariables() error {
	owner := map[string]string{} // variable → "token of NIT" / "clave of NIT"
	claim := func(v, kind, party string) error {
		if what, ok := toolSecrets[v]; ok && what != kind {
			return fmt.Errorf("el archivo de configuración %s: el obligado %s usa %s como %s_env, pero esa variable guarda otro secreto de batch (%s); use una variable propia", s.Path, party, v, kind, what)
		}
		key := kind + " de " + party
		if prev, ok := owner[v]; ok && prev != key && !(strings.HasPrefix(prev, kind) && kind == "clave") {
			return fmt.Errorf("el archivo de configuración %s: la variable %s es a la vez el %s y el %s; cada secreto necesita su propia variable", s.Path, v, prev, key)
		}
		owner[v] = key
		return nil
	}
	for _, c := range s.Companies {
		if err := claim(c.TokenEnv, "token", c.NIT); err != nil {
			return err
		}
	}
	for _, c := range s.Companies {
		if c.SSIntegral.ClaveEnv == "" {
			continue
		}
		account := ""
		if c.SSIntegral.NIT != nil {
			account = *c.SSIntegral.NIT
		}
		if err := claim(c.SSIntegral.ClaveEnv, "clave", account); err != nil {
			return err
		}
	}
	return nil
}

// companyTable reads a company's [obligados.persona] or
// [obligados.ssintegral] into its typed fields, and clave_env, the name of
// the variable that holds its SS Integral clave.
func (s *File) companyTable(c *Company, n int, name string, t map[string]any) error {
	keys := keysOf(personaFields)
	if name == "ssintegral" {
		keys = append(keysOf(ssintegralFields), "clave_env", "codigo_empresa", "tipo_ambiente")
		c.SSIntegral.Set = true
	}
	for k, v := range t {
		if _, nested := v.(map[string]any); nested || !slices.Contains(keys, k) {
			return fmt.Errorf("%s: [obligados.%s] del obligado %d tiene «%s»%s; use %s", s.at("obligados."+name, n, k), name, n, k,
				text.DidYouMean(k, keys, ""), strings.Join(keys, ", "))
		}
		value := strings.TrimSpace(fmt.Sprint(v))
		if name == "persona" {
			*fieldOf(personaFields, k)(&c.Persona) = &value
			continue
		}
		if err := c.SSIntegral.set(k, value); err != nil {
			return fmt.Errorf("%s, obligado %d: [obligados.ssintegral] %w", s.at("obligados."+name, n, k), n, err)
		}
	}
	return nil
}

// A table's text keys, each with its field: the one list of what the
// table may say.
type field[T any] struct {
	key string
	of  func(*T) **string
}

var (
	personaFields = []field[Persona]{
		{"tipo_identificacion", func(p *Persona) **string { return &p.TipoIdentificacion }},
		{"identificacion", func(p *Persona) **string { return &p.Identificacion }},
		{"nombres", func(p *Persona) **string { return &p.Nombres }},
		{"apellidos", func(p *Persona) **string { return &p.Apellidos }},
		{"cargo", func(p *Persona) **string { return &p.Cargo }},
		{"area", func(p *Persona) **string { return &p.Area }},
	}
	ssintegralFields = []field[SSIntegral]{
		{"nit", func(a *SSIntegral) **string { return &a.NIT }},
		{"server", func(a *SSIntegral) **string { return &a.Server }},
		{"mail_facturacion", func(a *SSIntegral) **string { return &a.MailFacturacion }},
		{"razon_social", func(a *SSIntegral) **string { return &a.RazonSocial }},
		{"dv", func(a *SSIntegral) **string { return &a.DV }},
		{"tipo_identificacion", func(a *SSIntegral) **string { return &a.TipoIdentificacion }},
	}
)

func keysOf[T any](fields []field[T]) []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return keys
}

func fieldOf[T any](fields []field[T], key string) func(*T) **string {
	for _, f := range fields {
		if f.key == key {
			return f.of
		}
	}
	return nil
}

// set gives a [obligados.ssintegral] key its value, numbers read once here.
func (a *SSIntegral) set(key, value string) error {
	switch key {
	case "clave_env":
		if !envName.MatchString(value) {
			return fmt.Errorf("clave_env debe ser el nombre de una variable de entorno (p. ej. SSINTEGRAL_CLAVE_BETA)")
		}
		a.ClaveEnv = value
	case "codigo_empresa", "tipo_ambiente":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || (key == "tipo_ambiente" && n != 1 && n != 2) {
			return fmt.Errorf("%s = %q no es válido: use un número entero (tipo_ambiente: 1 producción, 2 pruebas)", key, value)
		}
		if key == "codigo_empresa" {
			a.CodigoEmpresa = &n
		} else {
			a.TipoAmbiente = &n
		}
	case "nit":
		parsed, err := nit.Parse(value)
		if err != nil {
			return err
		}
		a.NIT = &parsed
	default:
		*fieldOf(ssintegralFields, key)(a) = &value
	}
	return nil
}

func (s *File) put(section, key string, v any) error {
	full := strings.ToLower(strings.TrimPrefix(section+"."+key, "."))
	if strings.Contains(full, "token") || strings.Contains(full, "clave") {
		return fmt.Errorf("%s tiene «%s»: los secretos no van en archivos. Use las variables de entorno AFACTURAR_TOKEN, SSINTEGRAL_CLAVE o BATCH_CLAVE_ARCHIVO", s.at(section, 0, key), full)
	}
	switch v.(type) {
	case map[string]any, []map[string]any:
		// A table where a value goes: [[obligado]] for [[obligados]], a
		// table nested in another. Left alone, its company would quietly
		// stay out of the night.
		known := append([]string{"persona", "obligados"}, tables()...)
		return fmt.Errorf("%s tiene la tabla «%s», que batch no conoce%s: las tablas son [%s] y [[obligados]]", s.at(full, 0, ""), full,
			text.DidYouMean(key, known, ""), strings.Join(append([]string{"persona"}, tables()...), "], ["))
	}
	name := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	switch section {
	case "":
		if name == "salida" {
			name = "o" // the result workbook, as -o
		}
	case "persona":
	default:
		p, ok := providerTable(section)
		if !ok {
			known := append([]string{"persona"}, tables()...)
			return fmt.Errorf("%s tiene la sección [%s], que batch no conoce%s: use [%s] o [[obligados]]", s.at(section, 0, ""), section,
				text.DidYouMean(section, append(known, "obligados"), ""), strings.Join(known, "], ["))
		}
		name = p.Option(name)
	}
	s.Values[name] = fmt.Sprint(v)
	return nil
}

// providerTable is the provider whose table in the file is section.
func providerTable(section string) (batch.Provider, bool) {
	for _, p := range batch.Providers() {
		if p.Table != "" && p.Table == section {
			return p, true
		}
	}
	return batch.Provider{}, false
}

// tables are the providers' tables in the file.
func tables() []string {
	var out []string
	for _, p := range tableProviders() {
		out = append(out, p.Table)
	}
	return out
}

// tableProviders are the providers with a table in the file.
func tableProviders() []batch.Provider {
	var out []batch.Provider
	for _, p := range batch.Providers() {
		if p.Table != "" {
			out = append(out, p)
		}
	}
	return out
}

// Only keeps the companies named, by their nombre (any case, accents
// aside) or their NIT (written as on an invoice), in the file's order. A
// name that is no company's is refused with the companies there are.
func (s *File) Only(wanted []string) error {
	if len(wanted) == 0 || len(s.Companies) == 0 {
		return nil
	}
	keep := make([]bool, len(s.Companies))
	var known []string
	for _, c := range s.Companies {
		known = append(known, strings.TrimSpace(c.Nombre+" "+c.NIT))
	}
	for _, w := range wanted {
		found := false
		for i, c := range s.Companies {
			if (c.Nombre != "" && cells.NormalizeHeader(c.Nombre) == cells.NormalizeHeader(w)) || nit.Canonical(w) == c.NIT {
				keep[i], found = true, true
			}
		}
		if !found {
			return fmt.Errorf("--empresa %s: ninguna empresa de %s se llama así ni tiene ese NIT; son: %s", w, s.Path, strings.Join(known, ", "))
		}
	}
	var kept []Company
	for i, c := range s.Companies {
		if keep[i] {
			kept = append(kept, c)
		}
	}
	s.Companies = kept
	return nil
}
