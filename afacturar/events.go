package afacturar

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"batch"
	"batch/internal/secret"
	"batch/internal/text"
)

// The RADIAN events of a received invoice this client registers, by
// DIAN's code, and the history of a CUFE's events.
const (
	EventoAcuse   = "030" // acuse de recibo
	EventoReclamo = "031" // reclamo
	EventoRecibo  = "032" // recibo del bien o prestación del servicio

	PathRecibo    = "/api/radian/recibo_bien_servicio"
	PathReclamo   = "/api/radian/reclamo"
	PathHistorico = "/api/radian/historico_eventos"
)

// Evento is one RADIAN event on a received invoice. The three endpoints
// take the acuse's envelope; a reclamo adds its reason.
type Evento struct {
	Codigo      string // EventoAcuse, EventoRecibo or EventoReclamo
	CUFE        string
	Recibio     Persona
	TipoReclamo string // 01 to 04, for a reclamo
}

type eventoData struct {
	Evento        []evento      `json:"evento"`
	Generalidades generalidades `json:"generalidades"`
}

type evento struct {
	Encabezado *struct {
		TipoReclamo string `json:"tipo_reclamo"`
	} `json:"encabezado,omitempty"`
	Referencia struct {
		CUFE string `json:"cufe"`
	} `json:"informacion_documento_referencia"`
	QuienRecibio Persona `json:"quien_recibio_documento"`
}

// PathOf is the endpoint of an event's code.
func PathOf(codigo string) string {
	switch codigo {
	case EventoRecibo:
		return PathRecibo
	case EventoReclamo:
		return PathReclamo
	}
	return PathAcuse
}

// opOf names an event for its identificador_transmision, as the acuse
// always was.
func opOf(codigo string) string {
	switch codigo {
	case EventoRecibo:
		return "recibo"
	case EventoReclamo:
		return "reclamo"
	}
	return "acuse"
}

// EventoData is the JSON sent in the data field for an event.
func (c *Client) EventoData(e Evento) ([]byte, error) {
	ev := evento{QuienRecibio: e.Recibio}
	ev.Referencia.CUFE = e.CUFE
	if e.Codigo == EventoReclamo {
		ev.Encabezado = &struct {
			TipoReclamo string `json:"tipo_reclamo"`
		}{e.TipoReclamo}
	}
	return json.Marshal(eventoData{Evento: []evento{ev}, Generalidades: c.generalidades(opOf(e.Codigo), e.CUFE)})
}

// SendEvento sends an event's data as EventoData wrote it. Values on
// success: cude, numero_evento, url_xml, fecha_evento.
func (c *Client) SendEvento(ctx context.Context, codigo string, data []byte) batch.Answer {
	return c.send(ctx, PathOf(codigo), data, acuseResult)
}

// Registrado is one event of a CUFE's history.
type Registrado struct {
	Numero      string `json:"numero"` // its place in the list
	Codigo      string `json:"codigo"`
	Descripcion string `json:"descripcion"`
	Fecha       string `json:"fecha"` // AAAA-MM-DD hh:mm:ss
	CUDE        string `json:"cude"`
	// Identificacion is the provider's own number for the event, the one
	// the event's registration answered as numero_evento.
	Identificacion string `json:"identificacion_evento"`
}

// EventNumber is the provider's number for the event: identificacion_evento,
// or the place in the list where a history lacks it.
func (r Registrado) EventNumber() string {
	if r.Identificacion != "" {
		return r.Identificacion
	}
	return r.Numero
}

// Historico asks for every event registered for a CUFE. The answer is
// classified as any other; on success the events are in order.
func (c *Client) Historico(ctx context.Context, cufe string) ([]Registrado, batch.Answer) {
	r, ans, ok := c.postForm(ctx, PathHistorico, [][2]string{{"cufe", cufe}})
	if !ok {
		return nil, c.hide(ans)
	}
	ans, success := r.classify()
	if !success {
		return nil, c.hide(ans)
	}
	var events []Registrado
	if raw := strings.TrimSpace(string(r.resultado)); raw == "" || raw == "null" {
		ans.Class, ans.Message = batch.ClassOK, ""
		return nil, ans // no event registered
	}
	if err := json.Unmarshal(r.resultado, &events); err != nil {
		ans.Class = batch.ClassUnexpected
		ans.Message = "Afacturar respondió el histórico sin una lista de eventos: " + text.FirstNonEmpty(r.desc, string(r.resultado))
		return nil, c.hide(ans)
	}
	mask := secret.New(c.Token)
	for i := range events {
		e := &events[i]
		e.Codigo = strings.TrimSpace(e.Codigo)
		e.CUDE = strings.ToLower(strings.TrimSpace(e.CUDE)) // a hash: a short secret may sit in it by chance
		if e.CUDE != "" && !batch.IsHash(e.CUDE) {
			ans.Class = batch.ClassUnexpected
			ans.Message = fmt.Sprintf("Afacturar respondió el histórico con algo que no es un CUDE en el evento %s: %s", text.FirstNonEmpty(e.Codigo, "sin código"), batch.Shape(e.CUDE))
			return nil, c.hide(ans)
		}
		e.Descripcion, e.Fecha, e.Numero, e.Identificacion = mask.Text(e.Descripcion), mask.Text(e.Fecha), mask.Text(e.Numero), mask.Text(e.Identificacion)
	}
	ans.Class, ans.Message = batch.ClassOK, ""
	return events, ans
}
