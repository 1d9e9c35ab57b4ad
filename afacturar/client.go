// Package afacturar is the client of Afacturar's REST API: it builds the
// multipart requests the service documents, sends them, and classifies each
// answer once, so nothing else has to understand the provider's codes.
package afacturar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"

	"batch"
	"batch/internal/secret"
	"batch/internal/text"
	"batch/internal/transport"
)

// The service's hosts, per DIAN environment.
const (
	HostPruebas    = "https://servicios-pruebas.afacturar.com"
	HostProduccion = "https://servicios.afacturar.com"

	PathAcuse = "/api/radian/acuse_recibo_fev"
)

// DIAN environments, as tipo_ambiente_dian.
const (
	AmbienteProduccion = 1
	AmbientePruebas    = 2
)

// maxBody bounds what is read of an answer: the documented ones are a few
// hundred bytes, and every request in flight may hold one.
const maxBody = 1 << 20

// Client sends requests for one obligado with one token.
type Client struct {
	BaseURL  string // scheme and host, without a trailing slash
	Token    string
	Obligado string
	Ambiente int
	HTTP     *http.Client
}

// hide keeps the token out of the free text of an answer (its message and
// the body kept for the journal), whatever the provider echoed. Parsed
// values (a CUDE, a URL) are left as they came.
func (c *Client) hide(a batch.Answer) batch.Answer {
	mask := secret.New(c.Token)
	a.Message = mask.Text(a.Message)
	a.Response = mask.Text(a.Response)
	// Every value the provider answers (an event's url_representacion_xml,
	// its CUDE) reaches the workbook and the journal: none carries the token.
	for k, v := range a.Values {
		if s, ok := v.(string); ok && !secret.Identifier(k) {
			a.Values[k] = mask.Text(s)
		}
	}
	return a
}

// Persona is who received the invoice (quien_recibio_documento).
type Persona struct {
	TipoIdentificacion int    `json:"tipo_identificacion"`
	Identificacion     string `json:"identificacion"`
	Nombres            string `json:"nombres"`
	Apellidos          string `json:"apellidos"`
	Cargo              string `json:"cargo,omitempty"`
	Area               string `json:"area,omitempty"`
}

// Acuse is one acuse de recibo (RADIAN event 030) to register.
type Acuse struct {
	CUFE    string
	Recibio Persona
}

type generalidades struct {
	TipoAmbienteDIAN         int        `json:"tipo_ambiente_dian"`
	IdentificadorTransmision string     `json:"identificador_transmision"`
	Integrador               integrador `json:"integrador"`
}

type integrador struct {
	Nombre string `json:"nombre"`
	Tipo   string `json:"tipo"`
}

// Transmission returns the identificador_transmision of an operation on a
// key: the same every time the same row is sent, so the provider's logs tie
// a resend to its first attempt.
func (c *Client) Transmission(op, key string) string {
	sum := sha256.Sum256([]byte(c.Obligado + "|" + op + "|" + key))
	return "EXCEL-" + hex.EncodeToString(sum[:8])
}

func (c *Client) generalidades(op, key string) generalidades {
	return generalidades{
		TipoAmbienteDIAN:         c.Ambiente,
		IdentificadorTransmision: c.Transmission(op, key),
		Integrador:               integrador{Nombre: "EXCEL", Tipo: "EXCEL"},
	}
}

// AcuseData is the JSON sent in the data field for an acuse.
func (c *Client) AcuseData(a Acuse) ([]byte, error) {
	return c.EventoData(Evento{Codigo: EventoAcuse, CUFE: a.CUFE, Recibio: a.Recibio})
}

// AcuseRecibo registers one acuse de recibo. Values on success: cude,
// numero_evento, url_xml, fecha_evento.
func (c *Client) AcuseRecibo(ctx context.Context, a Acuse) batch.Answer {
	data, err := c.AcuseData(a)
	if err != nil {
		return batch.Answer{Class: batch.ClassUnexpected, Message: err.Error()}
	}
	return c.SendAcuse(ctx, data)
}

// SendAcuse sends an acuse's data as AcuseData wrote it.
func (c *Client) SendAcuse(ctx context.Context, data []byte) batch.Answer {
	return c.send(ctx, PathAcuse, data, acuseResult)
}

// send posts data to path and reads a success with result.
func (c *Client) send(ctx context.Context, path string, data []byte, result func(reply, batch.Answer) batch.Answer) batch.Answer {
	r, ans, ok := c.post(ctx, path, data)
	if !ok {
		return c.hide(ans)
	}
	ans, success := r.classify()
	if !success {
		return c.hide(ans)
	}
	return c.hide(result(r, ans))
}

func acuseResult(r reply, ans batch.Answer) batch.Answer {
	var res struct {
		CUDE         string          `json:"cude"`
		NumeroEvento json.RawMessage `json:"numero_evento"`
		URLXML       string          `json:"url_representacion_xml"`
		FechaEvento  string          `json:"fecha_evento"`
	}
	if err := json.Unmarshal(r.resultado, &res); err != nil || strings.TrimSpace(res.CUDE) == "" {
		ans.Class = batch.ClassUnexpected
		ans.Message = "Afacturar respondió OK sin CUDE: " + text.FirstNonEmpty(r.desc, string(r.resultado))
		return ans
	}
	if cude := strings.ToLower(strings.TrimSpace(res.CUDE)); !batch.IsHash(cude) {
		ans.Class = batch.ClassUnexpected
		ans.Message = "Afacturar respondió OK con algo que no es un CUDE (96 caracteres hexadecimales): " + batch.Shape(cude)
		return ans
	}
	ans.Class = batch.ClassOK
	ans.Message = ""
	ans.Values = map[string]any{
		"cude":          strings.ToLower(strings.TrimSpace(res.CUDE)),
		"numero_evento": strings.Join(texts(res.NumeroEvento), ""),
		"url_xml":       strings.TrimSpace(res.URLXML),
		"fecha_evento":  strings.TrimSpace(res.FechaEvento),
	}
	return ans
}

// post sends one multipart request with documento_obligado and data.
// ok=false means the exchange itself failed and ans says how.
func (c *Client) post(ctx context.Context, path string, data []byte) (r reply, ans batch.Answer, ok bool) {
	return c.postForm(ctx, path, [][2]string{{"documento_obligado", c.Obligado}, {"data", string(data)}})
}

// postForm sends one multipart request with the fields in order.
func (c *Client) postForm(ctx context.Context, path string, fields [][2]string) (r reply, ans batch.Answer, ok bool) {
	body, contentType := form(fields)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return r, transport.BadAddress(batch.ServiceAfacturar, c.BaseURL), false
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, ans, ok := transport.Do(ctx, c.HTTP, req, maxBody, batch.ServiceAfacturar)
	if !ok {
		return r, ans, false
	}
	return readReply(resp), batch.Answer{}, true
}

// boundary is the process's multipart boundary, drawn once: a random one
// per request cost more than the rest of the body.
var boundary = sync.OnceValue(func() string { return multipart.NewWriter(nil).Boundary() })

// form is fields as a multipart/form-data body, byte for byte as
// mime/multipart writes them, and its Content-Type. A value that holds the
// boundary (none the tool builds does, but a spreadsheet's text goes in
// data) gets a boundary of its own.
func form(fields [][2]string) ([]byte, string) {
	b := boundary()
	for contains(fields, b) {
		b = multipart.NewWriter(nil).Boundary()
	}
	size := len(b) + 8
	for _, f := range fields {
		size += len(b) + len(f[0]) + len(f[1]) + 64
	}
	body := make([]byte, 0, size)
	for i, f := range fields {
		if i > 0 {
			body = append(body, "\r\n"...)
		}
		body = append(body, "--"+b+"\r\nContent-Disposition: form-data; name=\""...)
		body = append(body, quoteEscaper.Replace(f[0])...)
		body = append(body, "\"\r\n\r\n"...)
		body = append(body, f[1]...)
	}
	body = append(body, "\r\n--"+b+"--\r\n"...)
	return body, "multipart/form-data; boundary=" + b
}

func contains(fields [][2]string, b string) bool {
	for _, f := range fields {
		if strings.Contains(f[0], b) || strings.Contains(f[1], b) {
			return true
		}
	}
	return false
}

// quoteEscaper escapes a field's name as mime/multipart does.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

// Request describes what a request sends, minus the token, for the journal.
func (c *Client) Request(path string, data []byte) string {
	return "POST " + path + "\ndocumento_obligado=" + c.Obligado + "\ndata=" + string(data)
}
