package pipeline

import (
	"fmt"
	"strings"

	"batch"
)

// Trailing is an operation asked only once every operation it trails has
// its final answer for the same key, wherever in the run they are asked:
// the history of a CUFE, after the night's events of that CUFE.
type Trailing interface {
	Trails() []string
}

// Checked is a Sequenced operation that can ask the provider whether its
// prerequisite was registered by other means, when neither the run nor the
// journal knows of it: req's answer has Values["registrado"] true when it
// was. The request is recorded under the operation named as (the history,
// whose answers are never reused), so that it never stands for the
// operation's own.
type Checked interface {
	Registered(key string) (req batch.Request, as string)
}

// maxEarly bounds the requests the scan keeps to send ahead of their rows
// (a prerequisite asked below its dependant); past it, such a dependant
// waits for the next night.
const maxEarly = 100000

// maxFailed bounds the failed prerequisites kept to explain their
// dependants.
const maxFailed = 10000

// ahead is a request found by the scan below a row that waits for it: it
// is sent when the waiting row is reached, from its own row's data.
type ahead struct {
	req batch.Request
	row batch.Row
}

// failure is a prerequisite row that failed its check: its dependants say
// which, and why.
type failure struct {
	place, problem string
}

// order is what the run knows of the order its operations need: which
// operations each waits for, and what the scan found ahead.
type order struct {
	deps    [][]int // op → the ops it waits for on the same key
	watched []bool  // ops some other op waits for
	ids     *keySet // the scan's key hashes, one space for every op
	ahead   []map[keyID]ahead
	failed  []map[keyID]failure
	nAhead  int
}

func newOrder(ops []Op, sheets *sheetList) *order {
	o := &order{deps: make([][]int, len(ops)), watched: make([]bool, len(ops)), ids: newKeySet(sheets)}
	index := map[string]int{}
	for i, op := range ops {
		index[op.Name()] = i
	}
	for i, op := range ops {
		var names []string
		if s, ok := op.Operation.(Sequenced); ok && s.After() != "" {
			names = append(names, s.After())
		}
		if t, ok := op.Operation.(Trailing); ok {
			names = append(names, t.Trails()...)
		}
		for _, n := range names {
			if j, ok := index[n]; ok {
				o.deps[i] = append(o.deps[i], j)
				o.watched[j] = true
			}
		}
	}
	o.ahead = make([]map[keyID]ahead, len(ops))
	o.failed = make([]map[keyID]failure, len(ops))
	for i := range ops {
		o.ahead[i], o.failed[i] = map[keyID]ahead{}, map[keyID]failure{}
	}
	return o
}

func (o *order) needed() bool {
	for _, w := range o.watched {
		if w {
			return true
		}
	}
	return false
}

// scan reads the inputs once before the run and keeps, for each key a row
// waits on, the request of the operation it waits for when that request's
// row comes below it: the run sends it when the waiting row is reached, so
// no row waits for a row not yet read, and rows go in DIAN's order however
// the files order them.
func (r *runner) scan() error {
	o := r.order
	if !o.needed() {
		return nil
	}
	waitedOn := map[keyID]bool{} // keys a row waits on, seen so far
	seen := make([]map[keyID]bool, len(r.cfg.Ops))
	for i := range seen {
		seen[i] = map[keyID]bool{}
	}
	for _, in := range r.cfg.Inputs {
		err := in.Each(func(row batch.Row) error {
			for i, op := range r.cfg.Ops {
				if !r.asks(op, row) || (len(o.deps[i]) == 0 && !o.watched[i]) {
					continue
				}
				req, problem := op.Prepare(row)
				id := o.ids.id(rawKey(op, row, req, problem))
				if problem != "" {
					r.noteFailure(i, row, problem)
				}
				if o.watched[i] && !seen[i][id] {
					seen[i][id] = true
					if waitedOn[id] && problem == "" && o.nAhead < maxEarly {
						o.ahead[i][id] = ahead{req: req, row: row}
						o.nAhead++
					}
				}
				if len(o.deps[i]) > 0 && problem == "" {
					waitedOn[id] = true
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// asks reports whether a row asks for op, as admit decides.
func (r *runner) asks(op Op, row batch.Row) bool {
	if r.cfg.Keep != nil {
		if keep, refused := r.cfg.Keep(row); !keep || refused != "" {
			return false
		}
	}
	anyKey := false
	for _, other := range r.cfg.Ops {
		anyKey = anyKey || (other.applies(row) && row.Get(other.KeyField()) != "")
	}
	return op.wants(row) && (!anyKey || row.Get(op.KeyField()) != "")
}

// rawKey is a row's key for op: the prepared one, or (for a row that
// failed its check) the cell as the checks write a key.
func rawKey(op Op, row batch.Row, req batch.Request, problem string) string {
	if problem == "" {
		return req.Key
	}
	return strings.ToLower(strings.TrimSpace(row.Get(op.KeyField())))
}

// noteFailure keeps a watched operation's failed check, for the rows that
// wait on it.
func (r *runner) noteFailure(i int, row batch.Row, problem string) {
	o := r.order
	if !o.watched[i] || len(o.failed[i]) >= maxFailed {
		return
	}
	id := o.ids.id(rawKey(r.cfg.Ops[i], row, batch.Request{}, problem))
	if _, ok := o.failed[i][id]; !ok {
		o.failed[i][id] = failure{place: place(row), problem: problem}
	}
}

// prior is op j's job for key in this run: under way or done, read back
// from the journal once let go, or launched now from its row below when
// the scan found one. Nil: the run does not ask for it (or not yet, in a
// dry run).
func (r *runner) prior(j int, key string) *job {
	set := r.sets[j]
	id := set.id(key)
	if jb := r.jobOf(j, id); jb != nil {
		return jb
	}
	if f, ok := set.first(id); ok {
		res, err := readBack(r.cfg, r.cfg.Ops[j], key, f)
		if err != nil {
			res = r.journalStop(err)
		}
		jb := &job{done: make(chan struct{})}
		jb.finish(res, true)
		return jb
	}
	sid := r.order.ids.id(key)
	if a, ok := r.order.ahead[j][sid]; ok && !r.cfg.DryRun {
		delete(r.order.ahead[j], sid)
		r.launch(j, a.req, id, first{sheet: a.row.Sheet, line: a.row.Line}, a.row)
		return set.jobs[id]
	}
	return nil
}

// own is a row whose request was sent ahead of it, when a row above
// waited for it: the job is its own, not a repeat's.
func (r *runner) own(i int, key string, id keyID, f first) part {
	if j := r.jobOf(i, id); j != nil {
		return part{job: j}
	}
	res, err := readBack(r.cfg, r.cfg.Ops[i], key, f)
	if err != nil {
		res = r.journalStop(err)
	}
	return part{res: res}
}

// after is the operation op i goes after (Sequenced), -1 when none in the
// run.
func (r *runner) after(i int) int {
	s, ok := r.cfg.Ops[i].Operation.(Sequenced)
	if !ok || s.After() == "" {
		return -1
	}
	for _, j := range r.order.deps[i] {
		if r.cfg.Ops[j].Name() == s.After() {
			return j
		}
	}
	return -1
}

// waits is what a request of op i on key waits for before it goes: the
// jobs of the operations it follows, launched now if their rows are below.
// why, once they are done, says why it must not go ("" when it may).
func (r *runner) waits(i int, key string) (jobs []*job, why func() (reason string, missing bool)) {
	op := r.cfg.Ops[i]
	after := r.after(i)
	var prior *job // the job of the operation it goes after, if the night asks it
	for _, j := range r.order.deps[i] {
		if jb := r.prior(j, key); jb != nil {
			jobs = append(jobs, jb)
			if j == after {
				prior = jb
			}
		}
	}
	if after < 0 {
		return jobs, func() (string, bool) { return "", false }
	}
	what := "el " + r.cfg.Ops[after].Name() + " de este " + strings.ToUpper(string(op.KeyField()))
	fail, failed := r.order.failed[after][r.order.ids.id(key)]
	return jobs, func() (string, bool) {
		switch {
		case prior != nil && tookEffect(prior.res.Status):
			return "", false
		case prior != nil:
			return fmt.Sprintf("no se envió: antes debe quedar registrado %s, que quedó %s: %s", what, prior.res.Status, prior.res.Message), false
		case failed:
			return fmt.Sprintf("no se envió: %s (%s) quedó INVALIDO: %s", what, fail.place, fail.problem), false
		}
		if r.cfg.Journal != nil {
			if res, _, found, err := r.cfg.Journal.Recorded(r.cfg.Ops[after].Name(), key); err == nil && found && tookEffect(res.Status) {
				return "", false
			}
		}
		return "no se envió: antes debe quedar registrado " + what + ", que no está pedido en esta ejecución ni registrado antes (pídalo en la columna Evento de este u otro archivo de la noche)", true
	}
}

// planOrder is a dry run's result for a request that follows another:
// where its prerequisite is (above, below, in the journal), or why it would
// not go (SIN_PREVIO).
func (r *runner) planOrder(i int, key string) batch.Result {
	after := r.after(i)
	if after < 0 {
		return wouldSend
	}
	name := r.cfg.Ops[after].Name()
	what := "el " + name + " de este " + strings.ToUpper(string(r.cfg.Ops[i].KeyField()))
	res, sid := wouldSend, r.order.ids.id(key)
	if f, ok := r.sets[after].first(r.sets[after].id(key)); ok {
		res.Message = fmt.Sprintf("se enviaría después %s, pedido en %s (simulación: no se envió nada)", of(what), f.place())
		return res
	}
	if a, ok := r.order.ahead[after][sid]; ok {
		res.Message = fmt.Sprintf("se enviaría después %s, pedido más abajo, en %s (simulación: no se envió nada)", of(what), place(a.row))
		return res
	}
	if fail, ok := r.order.failed[after][sid]; ok {
		return batch.Result{Status: batch.StatusPendiente, Code: batch.CodeSinPrevio,
			Message: fmt.Sprintf("no se enviaría: %s (%s) quedó INVALIDO: %s", what, fail.place, fail.problem)}
	}
	if r.cfg.Journal != nil {
		if prev, _, found, err := r.cfg.Journal.Recorded(name, key); err == nil && found && tookEffect(prev.Status) {
			res.Message = "se enviaría: " + what + " ya está registrado (ejecución anterior) (simulación: no se envió nada)"
			return res
		}
	}
	msg := "no se enviaría: " + what + " no está pedido en los archivos de la noche ni registrado antes (pídalo en la columna Evento)"
	if _, ok := r.cfg.Ops[i].Operation.(Checked); ok {
		msg += "; al enviar se consulta el histórico del proveedor, por si se registró por otro medio"
	}
	return batch.Result{Status: batch.StatusPendiente, Code: batch.CodeSinPrevio, Message: msg}
}

// renamed is an operation recorded under another operation's name.
type renamed struct {
	Operation
	name string
}

func (r renamed) Name() string { return r.name }

// checked sends a request whose prerequisite neither the run nor the
// journal knows, once the provider's history says it is registered; the
// history's attempts count with the request's own.
func (r *runner) checked(op Op, c Checked, req batch.Request, row batch.Row, reason string) (batch.Result, bool, error) {
	creq, as := c.Registered(req.Key)
	check := Op{Operation: renamed{op.Operation, as}, Pacer: op.Pacer, Gate: op.Gate}
	cres, err := attempt(r.start, r.flight, check, creq, row, r.cfg)
	if err != nil || cres.Status != batch.StatusOK || cres.Values["registrado"] != true {
		note := "; el histórico del proveedor tampoco lo tiene"
		if cres.Status != batch.StatusOK {
			note = "; no se pudo consultar el histórico del proveedor: " + cres.Message
		}
		return batch.Result{Status: batch.StatusPendiente, Code: batch.CodeSinPrevio, Message: reason + note, Attempts: cres.Attempts}, false, err
	}
	res, err := attempt(r.start, r.flight, op, req, row, r.cfg)
	recorded := r.cfg.Journal != nil && err == nil && res.Attempts > 0
	res.Attempts += cres.Attempts
	res.Message = joinMsg(res.Message, "el evento previo se registró por otro medio: está en el histórico del proveedor")
	return res, recorded, err
}

// of is "de" before what, as Spanish contracts it: "del acuse".
func of(what string) string {
	if rest, ok := strings.CutPrefix(what, "el "); ok {
		return "del " + rest
	}
	return "de " + what
}
