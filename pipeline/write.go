package pipeline

import (
	"strings"

	"batch"
)

// tally is the writer's figures: what reached the sink.
type tally struct {
	statuses map[string]map[batch.Status]int
	attempts int
	// unattempted are the requests counted that never went out: the run
	// stopped first, or a prerequisite was missing.
	unattempted int
	notes       []batch.Note
	flagged     int   // NO_APLICA rows a person should look at
	err         error // the sink's failure, which stops sending
}

// write hands every slot's row to the sink in input order, each part
// waiting for its job, and tallies what it wrote.
func (r *runner) write(out chan<- tally) {
	t := tally{statuses: map[string]map[batch.Status]int{}}
	for _, op := range r.cfg.Ops {
		t.statuses[op.Name()] = map[batch.Status]int{}
	}
	for s := range r.slots {
		results := make([]batch.Result, len(s.parts))
		for i, p := range s.parts {
			results[i] = r.result(i, p, s.row)
			if p.from == nil {
				t.attempts += results[i].Attempts // a shared job's attempts count once
				if p.job != nil && p.job.request && results[i].Attempts == 0 {
					t.unattempted++
				}
			}
			if results[i].Status != "" {
				t.statuses[r.cfg.Ops[i].Name()][results[i].Status]++
			}
			if results[i].Status == batch.StatusNoAplica && results[i].Code == batch.CodeRechazadaDIAN {
				t.flagged++
			}
			t.note(r.cfg, i, s.row, results[i])
		}
		if t.err == nil {
			if t.err = r.cfg.Sink.Write(s.row, results); t.err != nil {
				r.stop(t.err)
			}
		}
	}
	out <- t
}

// note keeps a row the journal would not otherwise show as pending: never
// sent (INVALIDO, or PENDIENTE without an attempt of its own: its
// prerequisite not registered, the run's limit reached) or reviewed per
// row (REVISAR).
func (t *tally) note(cfg Config, i int, row batch.Row, res batch.Result) {
	unsent := res.Status == batch.StatusPendiente && (res.Attempts == 0 || res.Code == batch.CodeSinPrevio) // only a history was asked
	flagged := res.Status == batch.StatusNoAplica && res.Code == batch.CodeRechazadaDIAN
	if cfg.DryRun || len(t.notes) >= MaxNotes || (res.Status != batch.StatusInvalido && res.Status != batch.StatusRevisar && !unsent && !flagged) {
		return
	}
	op := cfg.Ops[i]
	t.notes = append(t.notes, batch.Note{Op: op.Name(), Key: row.Get(op.KeyField()), Origin: origin(row), Result: res})
}

// result is a part's result once known, checked against its own row; a
// repeated key's says so.
func (r *runner) result(i int, p part, row batch.Row) batch.Result {
	res := p.res
	if p.job != nil {
		<-p.job.done
		res = p.job.res
	}
	if rv, ok := r.cfg.Ops[i].Operation.(Reviewer); ok && res.Status == batch.StatusOK {
		res = rv.Review(row, res)
	}
	if p.from != nil {
		key := strings.ToUpper(string(r.cfg.Ops[i].KeyField()))
		once := ": se envió una sola vez"
		if r.cfg.DryRun {
			once = ": se enviaría una sola vez"
		}
		res.Message = joinMsg(res.Message, "mismo "+key+" que "+p.from.place()+once)
	}
	return res
}

// summary puts the reader's and the writer's figures together.
func (r *runner) summary(t tally) batch.Summary {
	c := r.counts
	return batch.Summary{
		Rows: c.rows, Requests: c.requests, OpRequests: c.opRequests, Reused: c.reused, Duplicates: c.duplicates, Footers: c.footers,
		Attempts: t.attempts, Unattempted: t.unattempted, Statuses: t.statuses, Notes: t.notes, Flagged: t.flagged,
	}
}
