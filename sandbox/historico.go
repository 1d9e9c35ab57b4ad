package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// descripciones are how the history names each event.
var descripciones = map[string]string{
	Evento030: "Acuse de recibo de Factura Electrónica de Venta",
	Evento031: "Reclamo de la Factura Electrónica de Venta",
	Evento032: "Recibo del bien o prestación del servicio",
}

// historico answers historico_eventos: the events registered for the CUFE
// of the form's cufe field, in order, with the page's fields.
func (s *Server) historico(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	obligado, _, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	cufe := ""
	if r.ParseMultipartForm(1<<20) == nil {
		cufe = strings.ToLower(strings.TrimSpace(r.FormValue("cufe")))
	}
	if len(cufe) != 96 {
		s.replyFor(w, cufe, http.StatusBadRequest, answer{CodigoError: 400, DescripcionError: "Hay un problema con la informacion entregada",
			Resultado: []problem{{"cufe", "Must be 96 characters long"}}})
		return
	}
	s.mu.Lock()
	s.attempts["historico|"+cufe]++
	list := []map[string]any{}
	for i, e := range s.history[cufe] {
		list = append(list, map[string]any{"numero": strconv.Itoa(i + 1), "codigo": e.Codigo, "descripcion": descripciones[e.Codigo],
			"fecha": e.Fecha.Format("2006-01-02 15:04:05"), "cude": e.CUDE, "identificacion_evento": "SBX" + e.NumeroEvento,
			"emisor_nombre": "OBLIGADO " + e.Obligado, "emisor_identificacion": e.Obligado,
			"receptor_nombre": "EMISOR DE LA FACTURA", "receptor_identificacion": "800000000"})
	}
	s.mu.Unlock()
	// Only --caos troubles the history; a test's faults are about events.
	fault := FaultNone
	if s.cfg.Fault == nil {
		fault = s.fault("historico|"+cufe, 1)
	}
	if !s.delay(r) || s.answerFault(w, r, "historico|"+cufe, fault) {
		return
	}
	s.replyFor(w, cufe, http.StatusOK, answer{CodigoError: 0, DescripcionError: "OK", TiempoEjecucion: time.Since(start).Seconds(),
		Transaccion: transaccion(obligado), Resultado: list})
}
