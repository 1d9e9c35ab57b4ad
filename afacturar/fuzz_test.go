package afacturar

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"batch"
	"batch/internal/transport"
)

// FuzzAnswer feeds any HTTP status, Retry-After and body to the decoder of
// Afacturar's answers: it classifies every one into a known class, never
// calls a row OK without its CUDE, and every message is readable text.
func FuzzAnswer(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "answers", "*.json"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint16(200), "", b)
		f.Add(uint16(400), "", b)
	}
	f.Add(uint16(429), "7", []byte(`{"codigo_error":429}`))
	f.Add(uint16(503), "", []byte("<html>503</html>"))
	f.Add(uint16(401), "", []byte(`{"codigo_error":500,"descripcion_error":"Unauthenticated."}`))
	f.Fuzz(func(t *testing.T, status uint16, retryAfter string, body []byte) {
		r := readReply(transport.Reply{Status: int(status), Body: body, RetryAfter: transport.RetryAfter(retryAfter)})
		for name, result := range map[string]func(reply, batch.Answer) batch.Answer{"acuse": acuseResult, "cuv": func(r reply, a batch.Answer) batch.Answer { return cuvResult(r, a, "abc") }} {
			a, success := r.classify()
			if success {
				a = result(r, a)
			}
			if a.Class < batch.ClassOK || a.Class > batch.ClassUnexpected {
				t.Fatalf("%s: class %d", name, a.Class)
			}
			if name == "acuse" && a.Class == batch.ClassOK {
				if cude, _ := a.Values["cude"].(string); cude == "" {
					t.Fatalf("acuse OK without a CUDE: %q", body)
				}
			}
			if a.Class != batch.ClassOK && a.Class != batch.ClassAlreadyDone && a.Message == "" {
				t.Fatalf("%s: class %d without a message for %q (HTTP %d)", name, a.Class, body, status)
			}
			if !utf8.ValidString(a.Message) {
				t.Fatalf("%s: message %q", name, a.Message)
			}
			if a.RetryAfter < 0 {
				t.Fatalf("Retry-After %q read as %s", retryAfter, a.RetryAfter)
			}
		}
	})
}
