package secret

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestEveryFormIsHidden(t *testing.T) {
	token := "tok&en<Z>/+=é-9f3k2"
	m := New(token)
	j, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	blob := base64.StdEncoding.EncodeToString([]byte("<soap>x" + token + "y</soap>"))
	for name, text := range map[string]string{
		"raw":          "401: Bearer " + token,
		"json":         string(j),
		"xml":          "<Clave>tok&amp;en&lt;Z&gt;/+=é-9f3k2</Clave>",
		"html":         "tok&amp;en&lt;Z&gt;/+=&#233;-9f3k2 is not " + "tok&amp;en&lt;Z&gt;/+=é-9f3k2",
		"query":        "https://x/?t=" + url.QueryEscape(token),
		"path":         "https://x/" + url.PathEscape(token),
		"base64":       "echo " + base64.StdEncoding.EncodeToString([]byte(token)),
		"base64 url":   base64.RawURLEncoding.EncodeToString([]byte(token)),
		"inside blob":  blob,
		"inside blob2": base64.StdEncoding.EncodeToString([]byte("ab" + token)),
	} {
		out := m.Text(text)
		if strings.Contains(out, token) || !strings.Contains(out, Redacted) {
			t.Errorf("%s: %q -> %q", name, text, out)
		}
		for _, f := range append(m.words, m.runs...) {
			if len(f) >= 8 && strings.Contains(out, f) {
				t.Errorf("%s: form %q left in %q", name, f, out)
			}
		}
		if !m.In([]byte(text)) {
			t.Errorf("%s: In does not see it", name)
		}
	}
}

// A short numeric clave is hidden wherever it stands in free text.
func TestShortSecretIsHiddenInText(t *testing.T) {
	m := New("1234")
	for in, want := range map[string]string{
		"clave 1234 incorrecta": "clave " + Redacted + " incorrecta",
		"ref x12345":            "ref x" + Redacted + "5",
	} {
		if got := m.Text(in); got != want {
			t.Errorf("%q: got %q", in, got)
		}
	}
	if got := (*Mask)(nil).Text("x"); got != "x" {
		t.Errorf("nil mask: %q", got)
	}
}
