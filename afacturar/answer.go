package afacturar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"batch"
	"batch/internal/text"
	"batch/internal/transport"
)

// envelope is every Afacturar answer's outer shape. Each field is kept raw
// because the service is loose about types: codigo_error is a number or a
// string, descripcion_error a string or a list, resultado an object, a list
// or a list of lists.
type envelope struct {
	CodigoError      json.RawMessage `json:"codigo_error"`
	DescripcionError json.RawMessage `json:"descripcion_error"`
	Transaccion      json.RawMessage `json:"transaccion"`
	Resultado        json.RawMessage `json:"resultado"`
	ErrorMessageDIAN json.RawMessage `json:"ErrorMessage_DIAN"`
}

// reply is an answer read defensively, before the operation looks at its
// resultado.
type reply struct {
	status     int
	code       int
	codeText   string
	desc       string
	resultado  json.RawMessage
	dian       string
	retryAfter time.Duration
	json       bool
	hasCode    bool // the body is Afacturar's envelope, with a codigo_error
	body       string
}

func readReply(resp transport.Reply) reply {
	// Whatever the body quotes reaches a person: keep it valid text.
	body := bytes.ToValidUTF8(resp.Body, []byte("\uFFFD"))
	status := resp.Status
	r := reply{status: status, code: status, codeText: strconv.Itoa(status), retryAfter: resp.RetryAfter, body: string(body)}
	var env envelope
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		return r
	}
	r.json = true
	if c, text, ok := codeOf(env.CodigoError); ok {
		r.code, r.codeText, r.hasCode = c, text, true
	}
	r.desc = strings.Join(texts(env.DescripcionError), "; ")
	r.resultado = env.Resultado
	r.dian = strings.Join(texts(env.ErrorMessageDIAN), " ")
	return r
}

// codeOf reads codigo_error whether it came as 0, "0" or 0.0.
func codeOf(raw json.RawMessage) (int, string, bool) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return 0, "", false
	}
	switch t := v.(type) {
	case float64:
		return int(t), strconv.Itoa(int(t)), true
	case string:
		s := strings.TrimSpace(t)
		if n, err := strconv.Atoi(s); err == nil {
			return n, s, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return int(f), strconv.Itoa(int(f)), true
		}
	}
	return 0, "", false
}

// texts flattens a string, a list of strings or nested lists into strings.
func texts(raw json.RawMessage) []string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			if s := strings.TrimSpace(t); s != "" {
				out = append(out, s)
			}
		case float64:
			out = append(out, strconv.FormatFloat(t, 'f', -1, 64))
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			b, _ := json.Marshal(t)
			out = append(out, string(b))
		}
	}
	walk(v)
	return out
}

// propiedades reads a 400's resultado, a list of {propiedad, descripcion},
// possibly nested one level deeper, into "propiedad: descripcion" lines.
func propiedades(raw json.RawMessage) []string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			p, _ := t["propiedad"].(string)
			d, _ := t["descripcion"].(string)
			p, d = strings.TrimSpace(p), strings.TrimSpace(d)
			switch {
			case p != "" && d != "":
				out = append(out, p+": "+d)
			case d != "":
				out = append(out, d)
			case p != "":
				out = append(out, p)
			}
		case string:
			if s := strings.TrimSpace(t); s != "" {
				out = append(out, s)
			}
		}
	}
	walk(v)
	return out
}

// DIANRule is one "Regla: X, Rechazo: Y" of ErrorMessage_DIAN.
type DIANRule struct {
	Regla, Rechazo string
}

var ruleRE = regexp.MustCompile(`Regla:\s*([^,]+?)\s*,\s*(?:Rechazo|Notificaci[oó]n):\s*`)

// ParseDIAN splits ErrorMessage_DIAN, whose rules arrive glued together
// ("...previamenteRegla: AAG01a, ..."), into rules.
func ParseDIAN(s string) []DIANRule {
	locs := ruleRE.FindAllStringSubmatchIndex(s, -1)
	var out []DIANRule
	for i, loc := range locs {
		end := len(s)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out = append(out, DIANRule{Regla: s[loc[2]:loc[3]], Rechazo: strings.TrimSpace(s[loc[1]:end])})
	}
	return out
}

func formatRules(rules []DIANRule, fallback string) string {
	if len(rules) == 0 {
		return fallback
	}
	parts := make([]string, len(rules))
	for i, r := range rules {
		parts[i] = "Regla " + r.Regla
		if r.Rechazo != "" {
			parts[i] += ": " + r.Rechazo
		}
	}
	return strings.Join(parts, "; ")
}

// classify turns a reply into an Answer for everything but success, which
// only the operation can read. ok=false means "code 0: read the resultado".
func (r reply) classify() (a batch.Answer, success bool) {
	defer func() {
		// An answer with nothing to say still gets a row's reason.
		if !success && a.Message == "" && a.Class != batch.ClassOK && a.Class != batch.ClassAlreadyDone {
			a.Message = fmt.Sprintf("Afacturar respondió sin descripción (HTTP %d, código %s)", r.status, r.codeText)
		}
	}()
	a = batch.Answer{Code: r.codeText, HTTPStatus: r.status, RetryAfter: r.retryAfter, Response: r.body}
	if r.status == http.StatusTooManyRequests || r.code == 429 {
		a.Class = batch.ClassRateLimited
		a.Message = "Afacturar pidió esperar: más de 120 solicitudes por minuto"
		return a, false
	}
	if !r.json {
		switch r.status {
		case 401:
			a = refused(a, r.status, "")
		case 403, 409:
			a = refusedRequest(a, r.status, "")
		case 404, 405, 415:
			a = wrongAddress(a, fmt.Sprintf("HTTP %d", r.status))
		default:
			a.Class, a.Message = batch.ClassTransient, fmt.Sprintf("respuesta que no es JSON (HTTP %d)", r.status)
		}
		return a, false
	}
	if strings.Contains(strings.ToLower(r.desc), "unauthenticated") {
		return refused(a, r.code, r.desc), false
	}
	switch r.code {
	case 0:
		return a, true
	case 15:
		rules := ParseDIAN(r.dian)
		a.Class, a.Message = batch.ClassRejected, formatRules(rules, text.FirstNonEmpty(r.dian, r.desc))
		for _, rule := range rules {
			if strings.EqualFold(rule.Regla, "LGC01") {
				a.Class = batch.ClassAlreadyDone
				a.Code = "LGC01"
			}
		}
	case 20, 28:
		a.Class = batch.ClassTransient
		a.Message = text.FirstNonEmpty(r.desc, "Afacturar no obtuvo respuesta de la DIAN a tiempo")
		if r.code == 28 {
			a.Message = "la DIAN tardó más de 60 s en responder (código 28); se reintenta"
		}
	case 400, 422:
		a.Class = batch.ClassRejected
		props := propiedades(r.resultado)
		a.Message = strings.Join(props, "; ")
		if a.Message == "" {
			a.Message = r.desc
		}
	case 11, 401:
		a = refused(a, r.code, r.desc)
	case 403, 409:
		a = refusedRequest(a, r.code, r.desc)
	case 404:
		// Afacturar's own envelope saying "not found" is about this row
		// (a CUV or document it does not know); a 404 without it is a
		// route that does not exist, and no row will fare better.
		if r.hasCode {
			a.Class, a.Wide = batch.ClassRejected, true
			a.Message = text.FirstNonEmpty(strings.Join(propiedades(r.resultado), "; "), r.desc, "Afacturar no encontró el documento")
		} else {
			a = wrongAddress(a, "HTTP 404")
		}
	case 405, 415:
		a = wrongAddress(a, fmt.Sprintf("código %d: %s", r.code, r.desc))
	case 500, 502, 503, 504:
		a.Class = batch.ClassTransient
		a.Message = fmt.Sprintf("Afacturar no está disponible (código %d%s); se reintenta", r.code, text.Prefixed(": ", r.desc))
	default:
		a.Class, a.Wide = batch.ClassUnexpected, true
		a.Message = fmt.Sprintf("respuesta no reconocida (código %s%s)", r.codeText, text.Prefixed(": ", r.desc))
	}
	return a, false
}

// refused is an answer that refuses the token: no row will fare better.
func refused(a batch.Answer, code int, desc string) batch.Answer {
	a.Class, a.Kind = batch.ClassFatal, batch.KindCredentials
	a.Message = fmt.Sprintf("Afacturar rechazó la autorización del token para este obligado (código %d%s)", code, text.Prefixed(": ", desc))
	return a
}

// refusedRequest is a 403 or 409: "forbidden" or "a conflict from your
// request", about this request as often as about the token. The row is
// refused with the provider's words; repeated, it stops the service.
func refusedRequest(a batch.Answer, code int, desc string) batch.Answer {
	a.Class, a.Kind, a.Wide = batch.ClassRejected, batch.KindCredentials, true
	a.Message = fmt.Sprintf("Afacturar rechazó la solicitud (código %d%s)", code, text.Prefixed(": ", desc))
	return a
}

// wrongAddress is an answer from something that is not the service.
func wrongAddress(a batch.Answer, what string) batch.Answer {
	a.Class, a.Kind = batch.ClassFatal, batch.KindAddress
	a.Message = "la dirección del servicio de Afacturar no es válida (" + what + ")"
	return a
}
