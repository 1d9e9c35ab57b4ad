package ops

import (
	"context"
	"strings"

	"batch"
	"batch/afacturar"
)

// historico is the Evento cell's word for the history query.
const historico = "historico"

// historicoSpec declares the history of a CUFE's events: the Evento value
// historico or --ops historico asks for it.
var historicoSpec = Spec{
	Name: batch.OpHistorico, Key: batch.FieldCUFE, Needs: []batch.Field{batch.FieldCUFE, batch.FieldEvento},
	Endpoint: "historico_eventos", Service: batch.ServiceAfacturar, Repeat: RepeatHarmless,
	New: func(e Env) Operation { return &Historico{Client: e.Afacturar, every: e.Wanted[batch.OpHistorico]} },
}

// Historico asks Afacturar for every event registered for a CUFE: the
// morning report of where each received invoice stands.
type Historico struct {
	Client *afacturar.Client
	every  bool // named with --ops: every row asks
}

func (*Historico) Name() string { return historicoSpec.Name }

// Statuses: a history is read, refused or pending.
func (*Historico) Statuses() []batch.Status { return statuses() }

// KeyField is the column that holds the operation's key.
func (*Historico) KeyField() batch.Field { return batch.FieldCUFE }

// Fresh: the history changes from one night to the next; an earlier run's
// answer is never reused.
func (*Historico) Fresh() bool { return true }

// Asks reports whether the row asks for its CUFE's history.
func (h *Historico) Asks(row batch.Row) bool {
	if h.every {
		return true
	}
	codes, _ := ParseEventos(row.Get(batch.FieldEvento))
	return codes[historico]
}

// Columns are the history's output columns.
func (*Historico) Columns() []string {
	return []string{"historico_estado", "radian_eventos", "radian_ultimo", "historico_codigo", "historico_mensaje"}
}

// Cells returns a result's values in Columns' order.
func (*Historico) Cells(r batch.Result) []any {
	if r.Status == "" {
		return []any{"", "", "", "", ""}
	}
	return []any{string(r.Status), str(r.Values["eventos"]), str(r.Values["ultimo"]), r.Code, r.Message}
}

// Prepare checks the CUFE; the query is the CUFE alone.
func (h *Historico) Prepare(row batch.Row) (batch.Request, string) {
	cufe, problem := CheckCUFE(row.Get(batch.FieldCUFE))
	if problem != "" {
		return batch.Request{}, problem
	}
	return batch.Request{
		Key:      cufe,
		Describe: func() string { return "POST " + afacturar.PathHistorico + "\ncufe=" + cufe },
		Send:     func(ctx context.Context) batch.Answer { return h.send(ctx, cufe) },
	}, ""
}

// send asks the history and writes it as a person reads it:
// "030 2026-11-20 · 032 2026-11-21", and the last event's code and words.
func (h *Historico) send(ctx context.Context, cufe string) batch.Answer {
	list, ans := h.Client.Historico(ctx, cufe)
	if ans.Class != batch.ClassOK {
		return ans
	}
	var parts []string
	for _, e := range list {
		parts = append(parts, strings.TrimSpace(e.Codigo+" "+e.Fecha[:min(len(e.Fecha), 10)]))
	}
	ans.Values = map[string]any{"eventos": strings.Join(parts, " · "), "ultimo": ""}
	if len(list) == 0 {
		ans.Values["eventos"] = "sin eventos registrados"
		return ans
	}
	last := list[len(list)-1]
	ans.Values["ultimo"] = strings.TrimSpace(last.Codigo + " " + last.Descripcion)
	return ans
}

// Trails: a CUFE's history is asked once the night's events of that CUFE
// have their final answers, so that it shows them.
func (*Historico) Trails() []string { return []string{batch.OpAcuse, batch.OpRecibo, batch.OpReclamo} }
