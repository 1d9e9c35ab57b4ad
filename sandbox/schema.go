package sandbox

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// problem is one entry of a 400 answer's resultado.
type problem struct {
	Propiedad   string `json:"propiedad"`
	Descripcion string `json:"descripcion"`
}

// checker validates a decoded data field the way the service's JSON schema
// does, with the service's English messages.
type checker struct{ problems []problem }

func (c *checker) add(prop, format string, args ...any) {
	c.problems = append(c.problems, problem{Propiedad: prop, Descripcion: fmt.Sprintf(format, args...)})
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// object checks that v is an object with the required keys and no others.
func (c *checker) object(path string, v any, required, optional []string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		c.add(path, "%s value found, but an object is required", kind(v))
		return nil
	}
	allowed := map[string]bool{}
	for _, k := range append(append([]string{}, required...), optional...) {
		allowed[k] = true
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			c.add(join(path, k), "The property %s is required", k)
		}
	}
	var extra []string
	for k := range m {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		c.add(path, "The property %s is not defined and the definition does not allow additional properties", k)
	}
	return m
}

func (c *checker) str(path string, v any, minLen int, present bool) string {
	if !present {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		c.add(path, "%s value found, but a string is required", kind(v))
		return ""
	}
	if utf8.RuneCountInString(s) < minLen {
		c.add(path, "Must be at least %d characters long", minLen)
	}
	return s
}

func (c *checker) intIn(path string, v any, present bool, allowed ...int) {
	if !present {
		return
	}
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) {
		c.add(path, "%s value found, but an integer is required", kind(v))
		return
	}
	for _, a := range allowed {
		if int(f) == a {
			return
		}
	}
	c.add(path, "Does not have a value in the enumeration %v", allowed)
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case string:
		return "String"
	case float64:
		return "Number"
	case bool:
		return "Boolean"
	case []any:
		return "Array"
	}
	return "Object"
}

var (
	noBlanks      = regexp.MustCompile(`^[^\s-]+$`)
	integradorRE  = regexp.MustCompile(`^(MOVIL|WEB|DLL|EXCEL|ERP-.+)$`)
	tiposIdent    = []int{11, 12, 13, 21, 22, 31, 41, 42, 50, 91} // the acuse page's list
	tiposAmbiente = []int{1, 2}
)

func (c *checker) generalidades(v any) {
	g := c.object("generalidades", v, []string{"tipo_ambiente_dian", "identificador_transmision", "integrador"}, []string{"webhook"})
	if g == nil {
		return
	}
	t, ok := g["tipo_ambiente_dian"]
	c.intIn("generalidades.tipo_ambiente_dian", t, ok, tiposAmbiente...)
	id, ok := g["identificador_transmision"]
	c.str("generalidades.identificador_transmision", id, 5, ok)
	if iv, ok := g["integrador"]; ok {
		in := c.object("generalidades.integrador", iv, []string{"nombre", "tipo"}, nil)
		if in != nil {
			n, ok := in["nombre"]
			c.str("generalidades.integrador.nombre", n, 1, ok)
			if tv, ok := in["tipo"]; ok {
				if tipo := c.str("generalidades.integrador.tipo", tv, 1, true); tipo != "" && !integradorRE.MatchString(tipo) {
					c.add("generalidades.integrador.tipo", "Does not have a value in the enumeration [MOVIL, WEB, DLL, EXCEL, ERP-XXXXXXXXX]")
				}
			}
		}
	}
}

// checkAcuse validates acuse_recibo_fev's data and returns its CUFE.
// checkEvento validates an event's data (the acuse's envelope; a reclamo
// adds evento[0].encabezado.tipo_reclamo) and returns its key: the CUFE for
// the acuse, code|CUFE for the others.
func checkEvento(codigo string) func(any) (string, []problem) {
	return func(data any) (string, []problem) {
		c := &checker{}
		root := c.object("", data, []string{"evento", "generalidades"}, nil)
		if root == nil {
			return "", c.problems
		}
		var cufe string
		if ev, ok := root["evento"]; ok {
			cufe = c.evento(codigo, ev)
		}
		if g, ok := root["generalidades"]; ok {
			c.generalidades(g)
		}
		if codigo != Evento030 && cufe != "" {
			cufe = codigo + "|" + cufe
		}
		return cufe, c.problems
	}
}

func (c *checker) evento(codigo string, ev any) string {
	list, isList := ev.([]any)
	switch {
	case !isList:
		c.add("evento", "%s value found, but an array is required", kind(ev))
		return ""
	case len(list) != 1:
		c.add("evento", "There must be exactly 1 item in the array (one event per request)")
		return ""
	}
	required := []string{"informacion_documento_referencia", "quien_recibio_documento"}
	if codigo == Evento031 {
		required = append([]string{"encabezado"}, required...)
	}
	e := c.object("evento[0]", list[0], required, nil)
	if e == nil {
		return ""
	}
	if h, ok := e["encabezado"]; ok && codigo == Evento031 {
		if enc := c.object("evento[0].encabezado", h, []string{"tipo_reclamo"}, nil); enc != nil {
			t, _ := enc["tipo_reclamo"].(string)
			if t != "01" && t != "02" && t != "03" && t != "04" {
				c.add("evento[0].encabezado.tipo_reclamo", "Does not have a value in the enumeration [01, 02, 03, 04]")
			}
		}
	}
	cufe := c.referencia(e["informacion_documento_referencia"])
	c.quienRecibio(e["quien_recibio_documento"])
	return cufe
}

func (c *checker) referencia(v any) string {
	if v == nil {
		return ""
	}
	r := c.object("evento[0].informacion_documento_referencia", v, []string{"cufe"}, nil)
	if r == nil {
		return ""
	}
	cv, ok := r["cufe"]
	cufe := c.str("evento[0].informacion_documento_referencia.cufe", cv, 1, ok)
	if cufe != "" && !noBlanks.MatchString(cufe) {
		c.add("evento[0].informacion_documento_referencia.cufe", "No se permiten caracteres adicionales como espacios o guiones")
	}
	return strings.ToLower(cufe)
}

func (c *checker) quienRecibio(v any) {
	if v == nil {
		return
	}
	const p = "evento[0].quien_recibio_documento"
	q := c.object(p, v, []string{"tipo_identificacion", "identificacion", "nombres", "apellidos"}, []string{"cargo", "area"})
	if q == nil {
		return
	}
	t, ok := q["tipo_identificacion"]
	c.intIn(p+".tipo_identificacion", t, ok, tiposIdent...)
	for _, f := range []struct {
		name string
		min  int
	}{{"identificacion", 1}, {"nombres", 3}, {"apellidos", 3}, {"cargo", 3}, {"area", 3}} {
		v, ok := q[f.name]
		c.str(p+"."+f.name, v, f.min, ok)
	}
}
