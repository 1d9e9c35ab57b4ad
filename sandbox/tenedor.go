package sandbox

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"time"
)

// The legítimo tenedor the sandbox answers: one invoice in four endorsed
// to a factoring company, the others held by their issuer, as far as the
// sandbox knows it (Config.Holders, or DefaultIssuer).
const (
	DefaultIssuer     = "800197268"
	DefaultIssuerName = "SUMINISTROS ANDINOS S.A.S."
	FactoringNIT      = "900777777"
	FactoringName     = "FACTORING ANDINO S.A.S."
)

// Holder is who holds an invoice.
type Holder struct{ NIT, Name string }

// HolderOf is who the sandbox says holds cufe: the one configured, one in
// four endorsed to FactoringNIT, the rest their issuer.
func (s *Server) HolderOf(cufe string) Holder {
	if h, ok := s.cfg.Holders[cufe]; ok {
		return h
	}
	if sum := sha256.Sum256([]byte(cufe)); sum[0]%4 == 0 {
		return Holder{FactoringNIT, FactoringName}
	}
	return Holder{DefaultIssuer, DefaultIssuerName}
}

// tenedor answers lector_cufe_tenedor_legitimo: each CUFE of lista_cufe (1
// to 20, separated by commas) on its own, after TenedorLatency.
func (s *Server) tenedor(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	obligado, _, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	list := ""
	if r.ParseMultipartForm(1<<20) == nil {
		list = r.FormValue("lista_cufe")
		if doc := r.FormValue("documento_obligado"); doc != obligado {
			reply(w, http.StatusOK, answer{CodigoError: 11, DescripcionError: "El token no esta asociado al documento del obligado", Transaccion: transaccion(obligado)})
			return
		}
	}
	var cufes []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cufes = append(cufes, c)
		}
	}
	switch {
	case len(cufes) == 0:
		reply(w, http.StatusOK, answer{CodigoError: 10, DescripcionError: []string{"The lista cufe field is required."}})
		return
	case len(cufes) > 20:
		reply(w, http.StatusOK, answer{CodigoError: 10, DescripcionError: []string{"La cantidad máxima de CUFEs para consultar es de 1 a 20."}})
		return
	}
	s.mu.Lock()
	s.tenedorRequests++
	for _, c := range cufes {
		s.attempts["tenedor|"+strings.ToLower(c)]++
	}
	s.mu.Unlock()
	if d := s.cfg.TenedorLatency; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	out := make([]map[string]any, 0, len(cufes))
	for _, c := range cufes {
		item := map[string]any{"cufe": c, "codigo_error": "0", "descripcion_error": "OK"}
		if lower := strings.ToLower(c); strings.HasPrefix(lower, UnknownPrefix) || len(lower) != 96 {
			item["codigo_error"], item["descripcion_error"] = "1", "El CUFE no existe en la DIAN"
			item["nit_legitimo_tenedor"], item["razon_social_legitimo_tenedor"] = "", ""
		} else {
			h := s.HolderOf(lower)
			item["nit_legitimo_tenedor"], item["razon_social_legitimo_tenedor"] = h.NIT, h.Name
		}
		out = append(out, item)
	}
	reply(w, http.StatusOK, answer{CodigoError: "0", DescripcionError: "OK", TiempoEjecucion: time.Since(start).Seconds(), Transaccion: transaccion(obligado), Resultado: out})
}

// TenedorRequests are the legítimo tenedor requests that reached the list.
func (s *Server) TenedorRequests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.tenedorRequests }
