// Package secret keeps credentials out of what batch writes: whatever a
// provider echoes, a token or a clave is hidden in every form it may come
// back in (as sent, JSON- or XML-escaped, URL-encoded, base64).
package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/url"
	"os"
	"strings"
)

// Redacted replaces a secret wherever it was found.
const Redacted = "********"

// minBase64 is the shortest secret looked for inside base64 at any
// alignment: a shorter one's fragments would match by chance.
const minBase64 = 6

// Mask hides a set of secrets. The zero Mask hides nothing.
type Mask struct {
	words []string // the forms of each secret
	runs  []string // the parts of its base64 that stand inside a longer base64
}

// New returns the mask of secrets; empty ones are ignored.
func New(secrets ...string) *Mask {
	m := &Mask{}
	for _, s := range secrets {
		if s = strings.TrimSpace(s); s != "" {
			m.add(s)
		}
	}
	return m
}

func (m *Mask) add(s string) {
	j, _ := json.Marshal(s)
	var x bytes.Buffer
	xml.EscapeText(&x, []byte(s))
	forms := []string{s, string(j[1 : len(j)-1]), jsonNoHTML(s), x.String(), html.EscapeString(s),
		url.QueryEscape(s), url.PathEscape(s)}
	m.words = appendNew(m.words, forms...)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		m.words = appendNew(m.words, enc.EncodeToString([]byte(s)), enc.WithPadding(base64.NoPadding).EncodeToString([]byte(s)))
		if len(s) < minBase64 {
			continue
		}
		// Inside a longer base64 text the secret starts at one of three
		// alignments; the characters that depend on it alone are the same
		// whatever surrounds it.
		for lead := 0; lead < 3; lead++ {
			e := enc.EncodeToString(append(make([]byte, lead), s...))
			from := (lead*8 + 5) / 6
			to := (lead + len(s)) * 8 / 6
			if to-from >= 4 {
				m.runs = appendNew(m.runs, e[from:to])
			}
		}
	}
}

func jsonNoHTML(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

func appendNew(list []string, forms ...string) []string {
	for _, f := range forms {
		found := f == ""
		for _, g := range list {
			found = found || g == f
		}
		if !found {
			list = append(list, f)
		}
	}
	return list
}

// Text hides the secrets in free text a provider sent back, wherever they
// stand. It is for free text only: a value read from an answer (a CUFE
// that happens to hold a short clave's digits) is never passed through it.
func (m *Mask) Text(s string) string {
	if m == nil {
		return s
	}
	for _, w := range m.words {
		s = strings.ReplaceAll(s, w, Redacted)
	}
	for _, r := range m.runs {
		s = strings.ReplaceAll(s, r, Redacted)
	}
	return s
}

// In reports whether b holds a secret in any of its forms.
func (m *Mask) In(b []byte) bool {
	if m == nil {
		return false
	}
	for _, f := range append(append([]string(nil), m.words...), m.runs...) {
		if bytes.Contains(b, []byte(f)) {
			return true
		}
	}
	return false
}

// InFile reports whether the file at path holds a secret in any of its
// forms, read a piece at a time; a file that cannot be read is taken to
// hold one.
func (m *Mask) InFile(path string) bool {
	if m == nil || len(m.words)+len(m.runs) == 0 {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	longest := 0
	for _, w := range append(append([]string(nil), m.words...), m.runs...) {
		longest = max(longest, len(w))
	}
	// Each piece begins with the end of the one before, so that a form
	// across two pieces is found.
	buf := make([]byte, 0, 64<<10+longest)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if m.In(buf) {
			return true
		}
		if err == io.EOF {
			return false
		}
		if err != nil {
			return true
		}
		keep := min(len(buf), longest-1)
		buf = append(buf[:0], buf[len(buf)-keep:]...)
	}
}

// Identifier reports whether a provider's value named key is a document's
// hash (CUFE, CUDE): never masked, since a short secret of digits may sit
// in one by chance, and it carries nothing the request did not make.
func Identifier(key string) bool {
	switch strings.ToLower(key) {
	case "cufe", "cude":
		return true
	}
	return false
}
