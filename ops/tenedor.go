package ops

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"batch"
	"batch/afacturar"
	"batch/nit"
	"batch/pipeline"
)

// tenedor is the Evento cell's word for the legítimo tenedor query.
const tenedor = "tenedor"

// tenedorSpec declares the legítimo tenedor query: who holds each received
// invoice now, and so whom to pay. The Evento value tenedor or --ops
// tenedor asks for it.
var tenedorSpec = Spec{
	Name: batch.OpTenedor, Key: batch.FieldCUFE, Needs: []batch.Field{batch.FieldCUFE, batch.FieldEvento},
	Endpoint: "lector_cufe_tenedor_legitimo", Service: batch.ServiceAfacturar, Repeat: RepeatHarmless, Batch: afacturar.MaxTenedor,
	New: func(e Env) Operation { return newTenedor(e.Afacturar, e.Wanted[batch.OpTenedor]) },
}

// Night is how long an answer of the legítimo tenedor stays this night's:
// the holder can change any day, so each night asks again, but a night
// resumed after a crash does not ask twice.
const Night = 12 * time.Hour

// linger is how long a list that is not full waits for one more CUFE
// before it goes as it is: the reader gives thousands a second, so a list
// leaves full unless the rows have run out.
const linger = 50 * time.Millisecond

// MaxTenedorRequests bounds the legítimo tenedor requests under way per
// token, and so the connections they hold, whatever the answer time.
const MaxTenedorRequests = 256

// Tenedor asks Afacturar who holds each row's invoice, twenty CUFEs to a
// request. Each CUFE is the pipeline's own key, journalled and answered on
// its own; the requests are this operation's: it gathers the keys under
// way into lists, spends the token's limit once per list, and keeps as
// many lists in flight as the limit and the answers' observed time need.
type Tenedor struct {
	Client *afacturar.Client
	every  bool // named with --ops: every row asks

	mu       sync.Mutex
	pacer    pipeline.Pacer
	rate     float64 // requests a second the limit allows
	queue    []*asked
	inFlight int
	latency  time.Duration // observed, smoothed
	free     *sync.Cond

	arrived  chan struct{} // a CUFE was queued
	start    sync.Once     // the dispatcher, started by the first CUFE
	stop     chan struct{}
	stopOnce sync.Once
}

// asked is one CUFE waiting for its part of an answer.
type asked struct {
	ctx  context.Context
	cufe string
	done chan batch.Answer
}

func newTenedor(c *afacturar.Client, every bool) *Tenedor {
	t := &Tenedor{Client: c, every: every, arrived: make(chan struct{}, 1), stop: make(chan struct{})}
	t.free = sync.NewCond(&t.mu)
	return t
}

// Pace gives the operation the limit it spends: n requests per window.
// The pipeline's own pacing is per key; this operation's requests carry
// many keys, so it paces its requests itself.
func (t *Tenedor) Pace(p pipeline.Pacer, n int, window time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pacer, t.rate = p, float64(n)/window.Seconds()
}

func (*Tenedor) Name() string { return tenedorSpec.Name }

// Statuses: a holder other than the invoice's issuer is REVISAR.
func (*Tenedor) Statuses() []batch.Status { return statuses(batch.StatusRevisar) }

// KeyField is the column that holds the operation's key.
func (*Tenedor) KeyField() batch.Field { return batch.FieldCUFE }

// FreshFor: an answer of this night is this night's; an older one is not
// reused.
func (*Tenedor) FreshFor() time.Duration { return Night }

// Asks reports whether the row asks who holds its invoice.
func (t *Tenedor) Asks(row batch.Row) bool {
	if t.every {
		return true
	}
	codes, _ := ParseEventos(row.Get(batch.FieldEvento))
	return codes[tenedor]
}

// Columns are the query's output columns.
func (*Tenedor) Columns() []string {
	return []string{"tenedor_estado", "tenedor_nit", "tenedor_razon_social", "tenedor_codigo", "tenedor_mensaje"}
}

// Cells returns a result's values in Columns' order.
func (*Tenedor) Cells(r batch.Result) []any {
	if r.Status == "" {
		return []any{"", "", "", "", ""}
	}
	return []any{string(r.Status), str(r.Values["nit"]), str(r.Values["razon_social"]), r.Code, r.Message}
}

// Prepare checks the CUFE; the query is the CUFE in a list.
func (t *Tenedor) Prepare(row batch.Row) (batch.Request, string) {
	cufe, problem := CheckCUFE(row.Get(batch.FieldCUFE))
	if problem != "" {
		return batch.Request{}, problem
	}
	return batch.Request{
		Key:      cufe,
		Describe: func() string { return "POST " + afacturar.PathTenedor + "\nlista_cufe (con otros hasta 20)=" + cufe },
		Send:     func(ctx context.Context) batch.Answer { return t.ask(ctx, cufe) },
	}, ""
}

// Review says whom to pay: a holder other than the row's issuer (NIT
// Emisor) means the invoice was endorsed, and paying the issuer does not
// discharge it.
func (*Tenedor) Review(row batch.Row, res batch.Result) batch.Result {
	holder, _ := res.Values["nit"].(string)
	name, _ := res.Values["razon_social"].(string)
	issuer := nit.Canonical(row.Get(batch.FieldNITEmisor))
	switch {
	case issuer == "" || holder == "":
	case holder == issuer:
		res.Code, res.Message = batch.CodeEmisor, joinNote(res.Message, "en poder de su emisor")
	default:
		res.Status, res.Code = batch.StatusRevisar, batch.CodeEndosada
		res.Message = joinNote(res.Message, "endosada: pague a "+holder+" – "+name+", no al emisor "+issuer)
	}
	return res
}

// ask queues a CUFE for the next list and waits for its part of the
// answer.
func (t *Tenedor) ask(ctx context.Context, cufe string) batch.Answer {
	a := &asked{ctx: ctx, cufe: cufe, done: make(chan batch.Answer, 1)}
	t.mu.Lock()
	t.queue = append(t.queue, a)
	t.mu.Unlock()
	t.start.Do(func() { go t.dispatch() })
	select {
	case t.arrived <- struct{}{}:
	default:
	}
	select {
	case ans := <-a.done:
		return ans
	case <-ctx.Done():
		return batch.Answer{Class: batch.ClassTransient, Code: batch.CodeNoEnviado, Message: "la ejecución se detuvo antes de la respuesta"}
	}
}

// Close ends the operation's dispatcher.
func (t *Tenedor) Close() error {
	t.stopOnce.Do(func() { close(t.stop) })
	return nil
}

// dispatch sends the queued CUFEs as lists: each list waits for room among
// the requests under way and for the limit, and is filled while it waits,
// so that it leaves with twenty unless the rows have run out.
func (t *Tenedor) dispatch() {
	for {
		select {
		case <-t.arrived:
		case <-t.stop:
			return
		}
		for {
			t.mu.Lock()
			var head *asked
			if len(t.queue) > 0 {
				head = t.queue[0]
			}
			t.mu.Unlock()
			if head == nil {
				break
			}
			ctx := head.ctx
			if !t.enter(ctx) {
				t.drop(ctx)
				continue
			}
			var ticket pipeline.Ticket
			if t.pacer != nil {
				var err error
				if ticket, err = t.pacer.Wait(ctx); err != nil {
					t.leave()
					t.drop(ctx)
					continue
				}
			}
			list := t.take()
			if ticket != nil {
				ticket.Sent()
			}
			go func() {
				defer t.leave()
				t.send(list)
			}()
		}
	}
}

// take is the next list: twenty CUFEs, or as many as there are once none
// has come for linger (the rows have run out, or the rest wait on
// retries).
func (t *Tenedor) take() []*asked {
	timer := time.NewTimer(linger)
	defer timer.Stop()
	for full := false; !full; {
		t.mu.Lock()
		full = len(t.queue) >= afacturar.MaxTenedor
		t.mu.Unlock()
		if full {
			break
		}
		select {
		case <-t.arrived:
			timer.Reset(linger) // more are coming
		case <-timer.C:
			full = true
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := min(len(t.queue), afacturar.MaxTenedor)
	list := t.queue[:n:n]
	t.queue = t.queue[n:]
	return list
}

// drop answers the queued CUFEs of a run that stopped: not sent.
func (t *Tenedor) drop(ctx context.Context) {
	t.mu.Lock()
	var keep []*asked
	for _, a := range t.queue {
		if a.ctx == ctx {
			a.done <- batch.Answer{Class: batch.ClassTransient, Code: batch.CodeNoEnviado, Message: "la ejecución se detuvo antes de enviar"}
		} else {
			keep = append(keep, a)
		}
	}
	t.queue = keep
	t.mu.Unlock()
}

// send asks for one list, each CUFE answered with its own part; one the
// answer leaves out is asked again.
func (t *Tenedor) send(list []*asked) {
	if len(list) == 0 {
		return
	}
	ctx := list[0].ctx
	cufes := make([]string, len(list))
	for i, a := range list {
		cufes[i] = a.cufe
	}
	began := time.Now()
	holders, ans := t.Client.Tenedores(ctx, cufes)
	t.observe(time.Since(began))
	if ans.Class != batch.ClassOK {
		for _, a := range list {
			a.done <- ans // the request as a whole: each CUFE tries again, in a list again
		}
		return
	}
	for _, a := range list {
		h, ok := holders[strings.ToLower(a.cufe)]
		if !ok {
			a.done <- batch.Answer{Class: batch.ClassTransient, Code: "SIN_RESPUESTA", HTTPStatus: ans.HTTPStatus,
				Message: "Afacturar no respondió por este CUFE en su lista: se pregunta de nuevo"}
			continue
		}
		one := h.Answer
		if one.Class == batch.ClassOK {
			// The holder in the message too: the journal keeps each
			// night's, and batch historial shows them over time.
			one.Values = map[string]any{"nit": h.NIT, "razon_social": h.Nombre}
			one.Message = "legítimo tenedor: " + h.NIT + " – " + h.Nombre
		}
		a.done <- one
	}
}

// enter waits for room among the requests under way: as many as the limit
// keeps busy for the answers' observed time (Little's law), with a margin,
// never more than MaxTenedorRequests.
func (t *Tenedor) enter(ctx context.Context) bool {
	stop := context.AfterFunc(ctx, func() {
		t.mu.Lock()
		t.free.Broadcast()
		t.mu.Unlock()
	})
	defer stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.inFlight >= t.ceiling() {
		if ctx.Err() != nil {
			return false
		}
		t.free.Wait()
	}
	t.inFlight++
	return true
}

func (t *Tenedor) leave() {
	t.mu.Lock()
	t.inFlight--
	t.free.Broadcast()
	t.mu.Unlock()
}

// ceiling is the requests that may be under way now.
func (t *Tenedor) ceiling() int {
	if t.rate <= 0 || t.latency <= 0 {
		return MaxTenedorRequests // nothing observed yet: the pacer alone holds them back
	}
	need := int(math.Ceil(t.rate*t.latency.Seconds()*1.5)) + 2
	return min(max(need, 2), MaxTenedorRequests)
}

// observe folds an answer's time into the smoothed latency.
func (t *Tenedor) observe(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.latency == 0 {
		t.latency = d
	} else {
		t.latency = (7*t.latency + 3*d) / 10
	}
	t.free.Broadcast()
}
