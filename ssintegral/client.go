// Package ssintegral is the client of SS Integral's ServicioSSIntegral.asmx:
// it writes the EnvioCorreo envelope the service's page documents, in SOAP
// 1.1 or 1.2, sends it, and classifies the answer once, so nothing else has
// to understand SOAP or DIAN's verdicts.
package ssintegral

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"batch"
	"batch/internal/secret"
	"batch/internal/text"
	"batch/internal/transport"
)

// The service's address and the operation's SOAP action.
const (
	DefaultURL = "https://factura.ssintegral.com/ServicioSSIntegral.asmx"
	Namespace  = "https://factura.ssintegral.com/"
	Action     = Namespace + "EnvioCorreo"
)

// redacted replaces the Clave wherever a copy of a request is kept.
const redacted = secret.Redacted

var errNoResult = errors.New("la respuesta no trae EnvioCorreoResult")

// Facturador is the invoicer's own data, the same on every invoice.
type Facturador struct {
	NIT                 string
	Clave               string
	CodigoEmpresa       int
	TipoAmbiente        int
	Server              string
	MailAreaFacturacion string
	RazonSocial         string
	DigitoVerificacion  string
	TipoIdentificacion  string
}

// Factura is one invoice's data, from its row.
type Factura struct {
	Resolucion                string
	NumeroFactura             string
	Prefijo                   string
	MailRecepcion             string
	TelefonoRecepcion         string
	NombreEmpresaRecepcion    string
	NitEmpresaRecepcion       string
	Adjuntos                  []Adjunto
	TipoDocumento             string
	DigitoVerificacionCliente string
	FechaFactura              string // xsd:dateTime, 2006-01-02T15:04:05
	RutaArchivo               string
	TipoIdentificacionCliente string
	NombreDocumento           string
}

// Adjunto is a file sent with the invoice.
type Adjunto struct {
	Nombre    string
	Contenido []byte
}

// Client sends EnvioCorreo for one invoicer.
type Client struct {
	URL        string
	SOAP12     bool
	Facturador Facturador
	HTTP       *http.Client
	// Spool is the folder where an answer's files (the PDF, the XML) are
	// written as they arrive, for the caller to move where they belong;
	// "" for the system's temporary folder.
	Spool string
}

// Values of a decoded answer, as batch.Answer.Values keys. The files are
// Spooled; the rest are strings.
const (
	ValueCUFE        = "cufe"
	ValueCUDE        = "cude"
	ValueQR          = "qr"
	ValueDescripcion = "descripcion"
	ValueDIANValido  = "dian_valido"
	ValueDIANEstado  = "dian_estado"
	ValueDIANMensaje = "dian_mensaje"
	ValuePDF         = "pdf"
	ValueXML         = "xml"
)

// Request describes what EnvioCorreo sends for an invoice, for the journal:
// the envelope with the Clave masked and the attachments' names without
// their content.
func (c *Client) Request(f Factura) string {
	env, err := c.envelope(f, redacted, false)
	if err != nil {
		return "POST " + c.URL + "\n" + err.Error()
	}
	return "POST " + c.URL + "\n" + string(env)
}

// EnvioCorreo sends one invoice to its buyer and reads DIAN's verdict.
func (c *Client) EnvioCorreo(ctx context.Context, f Factura) batch.Answer {
	env, err := c.Envelope(f)
	if err != nil {
		return batch.Answer{Class: batch.ClassUnexpected, Message: "no se pudo escribir la solicitud SOAP: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(env))
	if err != nil {
		return transport.BadAddress(batch.ServiceSSIntegral, c.URL)
	}
	if c.SOAP12 {
		req.Header.Set("Content-Type", `application/soap+xml; charset=utf-8; action="`+Action+`"`)
	} else {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("SOAPAction", `"`+Action+`"`)
	}
	var sp *spooler
	ans := transport.Stream(ctx, c.HTTP, req, batch.ServiceSSIntegral, func(status int, h http.Header, body io.Reader) batch.Answer {
		sp = newSpooler(body, cmp.Or(c.Spool, os.TempDir()))
		return classify(status, transport.RetryAfter(h.Get("Retry-After")), sp)
	})
	ans = c.hide(ans)
	if sp != nil {
		sp.keepOnly(ans)
	}
	return ans
}

// hide keeps the Clave out of whatever the answer carries to the workbook,
// the journal and the disk, in whatever form the service echoes it: the
// text and every value (the QR too) are masked, a received file holding it
// is not kept.
func (c *Client) hide(a batch.Answer) batch.Answer {
	mask := secret.New(c.Facturador.Clave)
	a.Message = mask.Text(a.Message)
	a.Response = mask.Text(a.Response)
	for k, v := range a.Values {
		if s, ok := v.(string); ok && !secret.Identifier(k) {
			a.Values[k] = mask.Text(s)
		}
	}
	for _, k := range []string{ValuePDF, ValueXML} {
		if f, ok := a.Values[k].(Spooled); ok && mask.InFile(f.Path) {
			delete(a.Values, k)
			a.Message = strings.TrimPrefix(a.Message+"; ", "; ") + "el " + strings.ToUpper(k) + " recibido contiene la clave de SS Integral y no se guardó"
		}
	}
	return a
}

// Classify turns an HTTP answer into a batch.Answer. An .asmx service
// answers a Fault with HTTP 500; a Fault is the service's word on this
// request, so it is an ERROR and not retried, while a 5xx without one (a
// proxy, a restart) is transient.
func classify(status int, retryAfter time.Duration, sp *spooler) batch.Answer {
	seen := &capped{max: 64 << 10}
	flt, res, err := decode(io.TeeReader(sp, seen))
	// The rest, read to its end: an answer is whole only once it ended.
	if _, rest := io.Copy(io.Discard, sp); err == nil {
		err = rest
	}
	body := seen.Bytes()
	a := batch.Answer{HTTPStatus: status, Response: sp.described(string(body))}
	switch {
	case flt != nil:
		a.Class, a.Code = batch.ClassUnexpected, text.FirstNonEmpty(flt.code(), "Fault")
		a.Message = "SS Integral respondió con un error SOAP: " + text.FirstNonEmpty(flt.text(), "sin descripción")
		if refusesCredentials(flt.text()) {
			// The NIT or the Clave: no invoice will fare better.
			a.Class, a.Kind = batch.ClassFatal, batch.KindCredentials
		} else {
			// A Fault may be about this invoice or about every one:
			// repeated on three invoices in a row, it stops the dispatch.
			// A service that could not read the request did nothing with
			// it; one that failed while handling it does not say whether
			// it had e-mailed the invoice first.
			a.Wide, a.Unsure = true, !strings.Contains(strings.ToLower(flt.text()), "unable to read request")
		}
		return a
	case status == http.StatusTooManyRequests:
		a.Class, a.Code = batch.ClassRateLimited, "429"
		a.Message = "SS Integral pidió esperar (más solicitudes de las que admite)"
		a.RetryAfter = retryAfter
		return a
	case status >= 500:
		// 503 is a service that took nothing in; behind the others (a
		// gateway's timeout, an error page) the request may have been
		// handled.
		a.Class, a.Code, a.Unsure = batch.ClassTransient, "HTTP "+strconv.Itoa(status), status != http.StatusServiceUnavailable
		a.Message = fmt.Sprintf("SS Integral no pudo atender la solicitud (HTTP %d)", status)
		return a
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		a.Class, a.Code, a.Kind = batch.ClassFatal, "HTTP "+strconv.Itoa(status), batch.KindCredentials
		a.Message = fmt.Sprintf("SS Integral negó el acceso (HTTP %d)", status)
		return a
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusUnsupportedMediaType:
		a.Class, a.Code, a.Kind = batch.ClassFatal, "HTTP "+strconv.Itoa(status), batch.KindAddress
		a.Message = fmt.Sprintf("la dirección no es el servicio EnvioCorreo de SS Integral (HTTP %d)", status)
		return a
	case err != nil || status != http.StatusOK:
		a.Class, a.Code, a.Unsure = batch.ClassUnexpected, "HTTP "+strconv.Itoa(status), true
		a.Message = fmt.Sprintf("SS Integral dio una respuesta que no se puede interpretar (HTTP %d): %s", status, excerpt(body, err))
		return a
	}
	return verdict(a, res, sp)
}

// capped keeps the first max bytes written to it, for the journal and the
// messages.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// verdict reads EnvioCorreoResult. DIAN's rule 90 ("documento procesado
// anteriormente") means the invoice had been accepted before.
func verdict(a batch.Answer, r *Result, sp *spooler) batch.Answer {
	a.Values = map[string]any{
		ValueCUFE:        strings.ToLower(strings.TrimSpace(r.CUFE)),
		ValueCUDE:        strings.ToLower(strings.TrimSpace(r.CUDE)),
		ValueQR:          strings.TrimSpace(r.QR),
		ValueDescripcion: strings.TrimSpace(r.Descripcion),
	}
	for _, k := range []string{ValueCUFE, ValueCUDE} {
		if v := a.Values[k].(string); v != "" && !batch.IsHash(v) {
			// The service answered: the invoice may have been e-mailed,
			// but what it says it is cannot be kept as an identifier.
			a.Class, a.Unsure, a.Values = batch.ClassUnexpected, true, nil
			a.Message = fmt.Sprintf("SS Integral respondió con algo que no es un %s (96 caracteres hexadecimales): %s", strings.ToUpper(k), batch.Shape(v))
			return a
		}
	}
	if f, ok := sp.file(r.FacturaPDF); ok && f.Size > 0 {
		a.Values[ValuePDF] = f
	}
	if f, ok := sp.file(r.XML); ok && f.Size > 0 {
		a.Values[ValueXML] = f
	}
	p := r.Produccion
	if p != nil && p.Nil != "true" {
		var msgs []string
		for _, m := range p.ErrorMessage {
			if m = strings.TrimSpace(m); m != "" {
				msgs = append(msgs, m)
			}
		}
		a.Values[ValueDIANEstado] = strings.TrimSpace(strings.TrimSpace(p.StatusCode) + " " + strings.TrimSpace(p.StatusDescription))
		a.Values[ValueDIANMensaje] = strings.Join(msgs, "; ")
		valid, known := parseBool(p.IsValid)
		if known {
			a.Values[ValueDIANValido] = map[bool]string{true: "sí", false: "no"}[valid]
		}
		a.Code = strings.TrimSpace(p.StatusCode)
		switch {
		case known && valid:
			a.Class = batch.ClassOK
		case processedBefore(append(msgs, p.StatusMessage, p.StatusDescription)...):
			a.Class = batch.ClassAlreadyDone
			a.Message = "la DIAN ya había recibido esta factura (Regla 90: documento procesado anteriormente)"
		case known:
			a.Class = batch.ClassRejected
			a.Message = "la DIAN rechazó la factura: " + text.FirstNonEmpty(strings.Join(msgs, "; "), strings.TrimSpace(p.StatusMessage), strings.TrimSpace(p.StatusDescription), "sin motivo")
		default:
			a.Class, a.Unsure = batch.ClassUnexpected, true
			a.Message = fmt.Sprintf("la respuesta de la DIAN no dice si la factura es válida (IsValid «%s»)", p.IsValid)
		}
		return a
	}
	switch {
	case a.Values[ValueCUFE] != "" || a.Values[ValueCUDE] != "":
		// The test environment answers without RespuestaProduccion: DIAN
		// checks the set later, under the ZipKey.
		a.Class = batch.ClassOK
		if r.Habilitacion != nil && strings.TrimSpace(r.Habilitacion.ZipKey) != "" {
			a.Values[ValueDIANEstado] = "ZipKey " + strings.TrimSpace(r.Habilitacion.ZipKey)
		}
	case a.Values[ValueDescripcion] != "":
		a.Class = batch.ClassRejected
		a.Message = "SS Integral no envió la factura: " + a.Values[ValueDescripcion].(string)
	default:
		a.Class, a.Unsure = batch.ClassUnexpected, true
		a.Message = "SS Integral respondió sin CUFE, sin descripción y sin respuesta de la DIAN"
	}
	return a
}

// refusesCredentials reports whether a Fault's text is about the NIT, the
// user or the Clave rather than the invoice.
func refusesCredentials(text string) bool {
	t := strings.ToLower(text)
	for _, w := range []string{"clave", "contraseña", "password", "usuario", "autentica", "autoriza", "credencial"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

func processedBefore(texts ...string) bool {
	for _, s := range texts {
		s = strings.ToLower(s)
		if strings.Contains(s, "regla: 90,") || strings.Contains(s, "regla: 90 ") || strings.Contains(s, "procesado anteriormente") {
			return true
		}
	}
	return false
}

func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

func excerpt(body []byte, err error) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "\uFFFD")), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	var syntax *xml.SyntaxError
	switch {
	case s == "":
		s = "cuerpo vacío"
	case errors.As(err, &syntax):
		// What could not be read, and where, before what it began with.
		s = fmt.Sprintf("no es XML válido en la línea %d (%s); comienza: %s", syntax.Line, syntax.Msg, s)
	case err != nil:
		s = err.Error() + "; comienza: " + s
	}
	return s
}
