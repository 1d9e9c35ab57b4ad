package sandbox

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/http"
)

// Shapes is how the simulated provider writes one answer, among the forms
// Afacturar's documents and pages show for the same thing. Tests pin one
// with Config.Shapes; by default each key gets its own from its hash, so
// that a run meets all of them and a client that expects one form fails.
type Shapes struct {
	CodeAsText   bool // codigo_error "15" rather than 15
	DescAsList   bool // descripcion_error as a list of strings
	NestedErrors bool // a 400's resultado as a list of lists (the data-error shape)
	NoRetryAfter bool // a 429 without Retry-After
}

// shapes are the key's forms.
func (s *Server) shapes(key string) Shapes {
	if s.cfg.Shapes != nil {
		return s.cfg.Shapes(key)
	}
	h := sha256.Sum256([]byte("shapes|" + key))
	return Shapes{CodeAsText: h[0]&1 == 1, DescAsList: h[0]&2 == 2, NestedErrors: h[0]&4 == 4, NoRetryAfter: h[0]&8 == 8}
}

// apply writes an answer in these forms.
func (sh Shapes) apply(a answer) answer {
	if sh.CodeAsText && a.CodigoError != nil {
		a.CodigoError = fmt.Sprint(a.CodigoError)
	}
	if d, ok := a.DescripcionError.(string); ok && sh.DescAsList {
		a.DescripcionError = []string{d}
	}
	if p, ok := a.Resultado.([]problem); ok && sh.NestedErrors {
		a.Resultado = [][]problem{p}
	}
	return a
}

// replyFor answers about key in the key's forms.
func (s *Server) replyFor(w http.ResponseWriter, key string, status int, a answer) {
	reply(w, status, s.shapes(key).apply(a))
}

// chaosFaults are what --caos mixes into a run: every answer the
// documents show besides success, and the network's own failures.
var chaosFaults = []Fault{Fault500, Fault503HTML, Fault503JSON, Fault28, Fault28Registered, FaultDrop, FaultDropRegistered,
	Fault429, Fault15, Fault20, Fault403, Fault409, Fault422}

// fault is the fault for the attempt-th request on key: the test's, or
// under Chaos one of chaosFaults now and then.
func (s *Server) fault(key string, attempt int) Fault {
	switch {
	case s.cfg.Fault != nil:
		return s.cfg.Fault(key, attempt)
	case s.cfg.Chaos > 0 && rand.Float64() < s.cfg.Chaos:
		return chaosFaults[rand.IntN(len(chaosFaults))]
	}
	return FaultNone
}
