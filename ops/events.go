package ops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"batch"
	"batch/afacturar"
	"batch/nit"
)

// The RADIAN events of a received invoice: the acuse (030), the recibo del
// bien o servicio (032) and the reclamo (031), one operation each, keyed by
// the CUFE. A sheet without an Evento column asks for the acuse; with one,
// each row asks for the events it names, and they go in DIAN's order.
var (
	acuseSpec = Spec{
		Name: batch.OpAcuse, Key: batch.FieldCUFE, Needs: []batch.Field{batch.FieldCUFE},
		Endpoint: "acuse_recibo_fev", Service: batch.ServiceAfacturar, Repeat: RepeatRefused,
		New: func(e Env) Operation { return newEvent(e, afacturar.EventoAcuse) },
	}
	reciboSpec = Spec{
		Name: batch.OpRecibo, Key: batch.FieldCUFE, Needs: []batch.Field{batch.FieldCUFE, batch.FieldEvento},
		Endpoint: "recibo_bien_servicio", Service: batch.ServiceAfacturar, Repeat: RepeatRefused,
		New: func(e Env) Operation { return newEvent(e, afacturar.EventoRecibo) },
	}
	reclamoSpec = Spec{
		Name: batch.OpReclamo, Key: batch.FieldCUFE, Needs: []batch.Field{batch.FieldCUFE, batch.FieldEvento},
		Endpoint: "reclamo", Service: batch.ServiceAfacturar, Repeat: RepeatRefused,
		New: func(e Env) Operation { return newEvent(e, afacturar.EventoReclamo) },
	}
)

// events are each event's operation, and the event DIAN needs before it.
var events = map[string]struct{ op, after string }{
	afacturar.EventoAcuse:   {batch.OpAcuse, ""},
	afacturar.EventoRecibo:  {batch.OpRecibo, afacturar.EventoAcuse},
	afacturar.EventoReclamo: {batch.OpReclamo, afacturar.EventoRecibo},
}

// EventCode is the RADIAN event an operation registers ("030" for the
// acuse); ok is false for an operation that registers none.
func EventCode(op string) (code string, ok bool) {
	for c, e := range events {
		if e.op == op {
			return c, true
		}
	}
	return "", false
}

// Event registers a RADIAN event of each row's CUFE: the acuse de recibo
// (030), or with Codigo the recibo (032) or the reclamo (031).
type Event struct {
	Client   *afacturar.Client
	Defaults Person
	Codigo   string // the event's DIAN code; empty is the acuse
	// History, when set, asks the CUFE's history for the CUDE of an event
	// registered before (LGC01): a request of its own, sent after the
	// event's answer as any request is.
	History func(ctx context.Context, cufe string) ([]afacturar.Registrado, batch.Answer)
}

func newEvent(e Env, codigo string) *Event {
	a := &Event{Client: e.Afacturar, Defaults: e.Person, Codigo: codigo}
	if !e.NoHistory {
		a.History = e.Afacturar.Historico
	}
	return a
}

func (o *Event) code() string {
	if o.Codigo == "" {
		return afacturar.EventoAcuse
	}
	return o.Codigo
}

func (o *Event) Name() string { return events[o.code()].op }

// Statuses: an event DIAN already had (LGC01) is YA_REGISTRADO.
func (*Event) Statuses() []batch.Status { return statuses(batch.StatusYaRegistrado) }

// KeyField is the column that holds the operation's key.
func (*Event) KeyField() batch.Field { return batch.FieldCUFE }

// After is the operation that must have registered its event for the CUFE
// before this one is sent: DIAN's order 030 → 032 → 031.
func (o *Event) After() string {
	if after := events[o.code()].after; after != "" {
		return events[after].op
	}
	return ""
}

// Registered is the request that asks the CUFE's history whether the
// event this one follows was registered by other means (another program,
// the DIAN's portal), when neither the night nor the journal knows of it.
// It is recorded as a history, never as this event.
func (o *Event) Registered(cufe string) (batch.Request, string) {
	prev := events[o.code()].after
	return batch.Request{
		Key:      cufe,
		Describe: func() string { return "POST " + afacturar.PathHistorico + "\ncufe=" + cufe },
		Send: func(ctx context.Context) batch.Answer {
			if o.History == nil {
				return batch.Answer{Class: batch.ClassOK, Values: map[string]any{"registrado": false}}
			}
			list, ans := o.History(ctx, cufe)
			if ans.Class != batch.ClassOK {
				return ans
			}
			registered := false
			for _, r := range list {
				registered = registered || r.Codigo == prev
			}
			ans.Values = map[string]any{"registrado": registered}
			return ans
		},
	}, batch.OpHistorico
}

// Asks reports whether a row asks for this event: the acuse where the
// sheet has no Evento column or the cell is empty, else what the cell
// names. A cell naming something unknown asks for the acuse, whose check
// refuses the row with the reason.
func (o *Event) Asks(row batch.Row) bool {
	if !row.Has(batch.FieldEvento) {
		return o.code() == afacturar.EventoAcuse
	}
	codes, bad := ParseEventos(row.Get(batch.FieldEvento))
	if bad != "" || len(codes) == 0 {
		return o.code() == afacturar.EventoAcuse
	}
	return codes[o.code()]
}

// Screen sends the event only for a sale invoice the obligado received
// and the DIAN approved, where the row says what it is (RadianScreen).
func (o *Event) Screen(row batch.Row) (batch.Result, bool) {
	obligado := ""
	if o.Client != nil {
		obligado = nit.Canonical(o.Client.Obligado)
	}
	return RadianScreen(row, obligado)
}

// Columns are the event's output columns, in workbook order.
func (o *Event) Columns() []string {
	p := o.Name() + "_"
	return []string{p + "estado", p + "cude", p + "numero_evento", p + "url_xml", p + "codigo", p + "mensaje"}
}

// Cells returns a result's values in Columns' order.
func (*Event) Cells(r batch.Result) []any {
	if r.Status == "" {
		return []any{"", "", "", "", "", ""}
	}
	return []any{string(r.Status), str(r.Values["cude"]), number(str(r.Values["numero_evento"])), str(r.Values["url_xml"]), r.Code, r.Message}
}

// number is a count or a sequence written as digits, as a number for the
// programs that read the workbook; anything else ("PAR170") as it came.
func number(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && len(s) <= 15 && (s == "0" || s[0] != '0') {
		return n
	}
	return s
}

// Prepare checks the row and builds its event once: keyed by its CUFE,
// described and sent from the same data.
func (o *Event) Prepare(row batch.Row) (batch.Request, string) {
	e, problem := o.build(row)
	if problem != "" {
		return batch.Request{}, problem
	}
	return restRequest(o.Client, e.CUFE, afacturar.PathOf(e.Codigo),
		func() ([]byte, error) { return o.Client.EventoData(e) },
		func(ctx context.Context, data []byte) batch.Answer { return o.send(ctx, e, data) }), ""
}

// restRequest is an Afacturar request whose data field is built once, on
// first use, and both journalled and sent from that value.
func restRequest(c *afacturar.Client, key, path string, build func() ([]byte, error), send func(context.Context, []byte) batch.Answer) batch.Request {
	data := sync.OnceValue(func() []byte {
		d, _ := build() // plain structs: marshalling cannot fail
		return d
	})
	return batch.Request{
		Key:      key,
		Describe: func() string { return c.Request(path, data()) },
		Send:     func(ctx context.Context) batch.Answer { return send(ctx, data()) },
	}
}

// send registers the event. One registered before (LGC01) is completed by
// a request for the CUFE's history, which holds its real CUDE and the
// provider's number for it, not the rejected attempt's.
func (o *Event) send(ctx context.Context, e afacturar.Evento, data []byte) batch.Answer {
	ans := o.Client.SendEvento(ctx, e.Codigo, data)
	if ans.Class == batch.ClassAlreadyDone && o.History != nil {
		ans.Then = o.fromHistory(e, ans)
	}
	return ans
}

// fromHistory is the request that finds event e, registered before, in
// its CUFE's history: its answer is lead's, with the registered event's
// values.
func (o *Event) fromHistory(e afacturar.Evento, lead batch.Answer) *batch.Request {
	return &batch.Request{
		Key:      e.CUFE,
		Describe: func() string { return "POST " + afacturar.PathHistorico + "\ncufe=" + e.CUFE },
		Send: func(ctx context.Context) batch.Answer {
			list, h := o.History(ctx, e.CUFE)
			if h.Class != batch.ClassOK {
				return h
			}
			out := lead
			out.Then, out.Response, out.HTTPStatus = nil, h.Response, h.HTTPStatus
			out.Message = joinNote(lead.Message, "el histórico de eventos no trae este evento")
			for i := len(list) - 1; i >= 0; i-- {
				if r := list[i]; r.Codigo == e.Codigo && r.CUDE != "" {
					out.Values = map[string]any{"cude": r.CUDE, "numero_evento": r.EventNumber(), "fecha_evento": r.Fecha}
					out.Message = joinNote(lead.Message, "el CUDE es el del evento registrado, tomado del histórico de eventos")
					break
				}
			}
			return out
		},
	}
}

func (o *Event) build(row batch.Row) (afacturar.Evento, string) {
	if row.Has(batch.FieldEvento) {
		if _, bad := ParseEventos(row.Get(batch.FieldEvento)); bad != "" {
			return afacturar.Evento{}, fmt.Sprintf("Evento: «%s» no es un evento; use 030 (acuse), 032 (recibo), 031 (reclamo) o historico, separados por coma", bad)
		}
	}
	cufe, problem := CheckCUFE(row.Get(batch.FieldCUFE))
	if problem != "" {
		return afacturar.Evento{}, problem
	}
	e := afacturar.Evento{Codigo: o.code(), CUFE: cufe}
	if e.Codigo == afacturar.EventoReclamo {
		if e.TipoReclamo, problem = CheckTipoReclamo(row.Get(batch.FieldTipoReclamo)); problem != "" {
			return afacturar.Evento{}, problem
		}
	}
	e.Recibio, problem = o.person(row)
	return e, problem
}

func (o *Event) person(row batch.Row) (afacturar.Persona, string) {
	get := func(f batch.Field, def string) string {
		if v := row.Get(f); v != "" {
			return v
		}
		return def
	}
	d := o.Defaults
	return CheckPerson(Person{
		TipoIdentificacion: get(batch.FieldTipoIdentificacion, d.TipoIdentificacion),
		Identificacion:     get(batch.FieldIdentificacion, d.Identificacion),
		Nombres:            get(batch.FieldNombres, d.Nombres),
		Apellidos:          get(batch.FieldApellidos, d.Apellidos),
		Cargo:              get(batch.FieldCargo, d.Cargo),
		Area:               get(batch.FieldArea, d.Area),
	})
}

// ParseEventos reads an Evento cell: codes or names separated by commas,
// semicolons or spaces ("030,032", "acuse recibo", "historico"). bad is the
// first word that names nothing.
func ParseEventos(cell string) (codes map[string]bool, bad string) {
	codes = map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(cell), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '/' }) {
		switch w {
		case "030", "30", "acuse":
			codes[afacturar.EventoAcuse] = true
		case "032", "32", "recibo":
			codes[afacturar.EventoRecibo] = true
		case "031", "31", "reclamo":
			codes[afacturar.EventoReclamo] = true
		case "historico", "histórico":
			codes[historico] = true
		case "tenedor", "legitimo", "legítimo":
			codes[tenedor] = true
		default:
			if bad == "" {
				bad = w
			}
		}
	}
	return codes, bad
}

// tiposReclamo are the reclamo's reasons, by code and by words.
var tiposReclamo = []struct{ code, words string }{
	{"01", "documento con inconsistencias"},
	{"02", "mercancía no entregada totalmente"},
	{"03", "mercancía no entregada parcialmente"},
	{"04", "servicio no prestado"},
}

// CheckTipoReclamo reads a reclamo's reason: 01 to 04 (or 1 to 4), or its
// words as the page writes them.
func CheckTipoReclamo(raw string) (string, string) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if s == "" {
		return "", "Tipo reclamo: falta; un reclamo necesita su motivo: 01 documento con inconsistencias, 02 mercancía no entregada totalmente, 03 mercancía no entregada parcialmente, 04 servicio no prestado"
	}
	for _, t := range tiposReclamo {
		if s == t.code || s == t.code[1:] || s == t.words || strings.ReplaceAll(s, "mercancia", "mercancía") == t.words {
			return t.code, ""
		}
	}
	return "", fmt.Sprintf("Tipo reclamo: «%s» no es un motivo; use 01, 02, 03 o 04", raw)
}
