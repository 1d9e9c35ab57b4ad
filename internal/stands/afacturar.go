package stands

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Afacturar is an Afacturar written apart from the sandbox: it registers
// acuses, knows every CUV but those it is told are unknown, and answers
// an unknown one as the provider was seen to: 409 inside an HTTP 200.
type Afacturar struct {
	unknown map[string]bool
	mu      sync.Mutex
	calls   map[string]int
	data    map[string]string // the last request's data field, by key
}

// NewAfacturar serves an Afacturar for the test on loopback that refuses
// the CUVs listed as unknown, and returns it with its address.
func NewAfacturar(t *testing.T, unknown ...string) (*Afacturar, string) {
	s := &Afacturar{unknown: map[string]bool{}, calls: map[string]int{}, data: map[string]string{}}
	for _, u := range unknown {
		s.unknown[u] = true
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *Afacturar) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/historico_eventos") {
		fmt.Fprint(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":[]}`) // it registers acuses alone
		return
	}
	var data struct {
		Evento []struct {
			Ref struct {
				CUFE string `json:"cufe"`
			} `json:"informacion_documento_referencia"`
		} `json:"evento"`
		Doc struct {
			CUV string `json:"cuv"`
		} `json:"informacion_documento"`
	}
	if r.ParseMultipartForm(1<<20) != nil || json.Unmarshal([]byte(r.FormValue("data")), &data) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := data.Doc.CUV
	if len(data.Evento) == 1 {
		key = data.Evento[0].Ref.CUFE
	}
	s.mu.Lock()
	s.calls[key]++
	s.data[key] = r.FormValue("data")
	s.mu.Unlock()
	sum := sha512.Sum384([]byte("standin|" + key))
	switch {
	case s.unknown[key]:
		fmt.Fprint(w, `{"codigo_error": 409, "descripcion_error": "El CUV no esta registrado en nuestro sistema"}`)
	case strings.HasSuffix(r.URL.Path, "/acuse_recibo_fev"):
		fmt.Fprintf(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":{"cude":"%s","numero_evento":"1"}}`, hex.EncodeToString(sum[:]))
	default:
		fmt.Fprintf(w, `{"codigo_error":"0","descripcion_error":"OK","resultado":{"codigoUnicoValidacion":"%s","numeroDocumento":"FE1"}}`, key)
	}
}

// Count is how many requests a key (a CUFE, a CUV) had.
func (s *Afacturar) Count(key string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[key] }

// Data is the data field of a key's last request.
func (s *Afacturar) Data(key string) string { s.mu.Lock(); defer s.mu.Unlock(); return s.data[key] }

// Total is how many requests came, for every key.
func (s *Afacturar) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}
