package config

import (
	"fmt"
	"regexp"
	"strings"
)

// A line locator: the TOML decoder keeps where each key was but does not
// say, so the file's own lines are read again to name the line of what a
// message is about. Where a key cannot be found, the file alone is named.

var (
	headerLine = regexp.MustCompile(`^\s*(\[\[?)\s*([^\]]*?)\s*\]\]?\s*(#.*)?$`)
	keyLine    = regexp.MustCompile(`^\s*["']?([A-Za-z0-9_\-.]+)["']?\s*=`)
)

// line is the 1-based line of key in table (dotted, "" for the top
// level), where table is an [[obligados]] company's, of the company-th
// (1-based; 0 for none). key "" finds the table's own header. 0 when not
// found.
func (s *File) line(table string, company int, key string) int {
	current, companies := "", 0
	for i, l := range s.lines {
		if m := headerLine.FindStringSubmatch(l); m != nil {
			current = strings.NewReplacer(" ", "", `"`, "", "'", "").Replace(m[2])
			if m[1] == "[[" && current == "obligados" {
				companies++
			}
			if key == "" && current == table && (company == 0 || companies == company) {
				return i + 1
			}
			continue
		}
		if key == "" || current != table || (company > 0 && companies != company) {
			continue
		}
		if m := keyLine.FindStringSubmatch(l); m != nil && sameKey(m[1], key) {
			return i + 1
		}
	}
	return 0
}

// sameKey says whether a key as written is the one named, with - and _
// alike (espera-reintento, espera_reintento).
func sameKey(written, key string) bool {
	norm := func(k string) string { return strings.ToLower(strings.ReplaceAll(k, "-", "_")) }
	return norm(written) == norm(key)
}

// at names the file and, where found, the line of key in table (or of
// the table, when the key is not written), as a message starts: "el
// archivo de configuración F (línea N)".
func (s *File) at(table string, company int, key string) string {
	n := s.line(table, company, key)
	if n == 0 && table != "" {
		n = s.line(table, company, "")
	}
	if n > 0 {
		return fmt.Sprintf("el archivo de configuración %s (línea %d)", s.Path, n)
	}
	return fmt.Sprintf("el archivo de configuración %s", s.Path)
}

// Where is the file and line of a setting as batch run names it
// ("espera-reintento", "nombres", "persona.nombres", "ssintegral-nit"),
// for the company-th company (1-based) or the file's defaults (0): "F,
// línea N", or "" when the file does not set it there.
func (s *File) Where(company int, setting string) string {
	type place struct{ table, key string }
	var places []place
	if table, key, found := strings.Cut(setting, "."); found {
		places = append(places, place{table, key})
	} else {
		key := setting
		if key == "o" {
			key = "salida"
		}
		places = append(places, place{"", key}, place{"persona", key})
		for _, p := range tableProviders() {
			for k, opt := range p.Options {
				if opt == setting {
					places = append(places, place{p.Table, k})
				}
			}
			if rest, ok := strings.CutPrefix(setting, p.Table+"-"); ok {
				places = append(places, place{p.Table, rest})
			}
		}
	}
	for _, p := range places {
		if company > 0 {
			p.table = strings.TrimSuffix("obligados."+p.table, ".")
		}
		if n := s.line(p.table, company, p.key); n > 0 {
			return fmt.Sprintf("%s, línea %d", s.Path, n)
		}
	}
	return ""
}
