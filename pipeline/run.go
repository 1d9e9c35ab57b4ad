package pipeline

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"batch"
)

// runner is one Run. The reader (readAll and the methods it calls) admits
// rows, answers repeated keys and launches one job per distinct key; the
// group's workers send; the writer hands rows to the sink in input order.
// The reader owns counts, the writer its tally; a job's fields are its
// worker's until done is closed.
type runner struct {
	cfg    Config
	base   context.Context // its cause says why sending stopped
	stop   context.CancelCauseFunc
	start  context.Context // ends when no new request may start
	flight context.Context // the context of requests already sent
	group  *workers
	// waiting are the workers waiting for the requests theirs follows,
	// outside the group: a waiting request holds no place in flight.
	waiting sync.WaitGroup
	order   *order
	slots   chan *slot
	sets    []*keySet
	live    []held // the jobs the key sets hold, oldest first
	counts  counts
	// unsent are the results of keys never sent, each shared by every key
	// that has it (shared), and their numbers by result.
	unsent      []*job
	unsentIndex map[[3]string]int
}

// counts are the reader's figures.
type counts struct {
	rows, requests, reused, duplicates, footers int
	opRequests                                  map[string]int
}

// job is one request for one key; every row with that key shares it.
type job struct {
	done     chan struct{}
	res      batch.Result
	recorded bool // res is the journal's last state for the key
	request  bool // counted among the run's requests
}

func (j *job) finish(res batch.Result, recorded bool) {
	j.res, j.recorded = res, recorded
	close(j.done)
}

// slot is one row waiting for its results, in input order.
type slot struct {
	row   batch.Row
	parts []part
}

type part struct {
	res  batch.Result
	job  *job
	from *first // set on a row whose key an earlier row carried
}

// held is a job a key set holds until its result is in the journal.
type held struct {
	set *keySet
	id  keyID
	job *job
}

func newRun(ctx context.Context, cfg Config) *runner {
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.InFlight <= 0 {
		cfg.InFlight = 1
	}
	if cfg.Window <= 0 {
		cfg.Window = 4096
	}
	r := &runner{cfg: cfg, flight: cfg.Flight, slots: make(chan *slot, cfg.Window), counts: counts{opRequests: map[string]int{}},
		unsentIndex: map[[3]string]int{}}
	if r.flight == nil {
		r.flight = context.WithoutCancel(ctx)
	}
	// Sending stops when start ends: a fatal answer, the sink's failure,
	// or the caller. Requests already under way use flight and are not
	// cut short by another row's failure.
	r.base, r.stop = context.WithCancelCause(ctx)
	var g *errgroup.Group
	g, r.start = errgroup.WithContext(r.base)
	r.group = &workers{group: g, stop: r.stop, jobs: make(chan func() error), most: cfg.InFlight}
	sheets := &sheetList{index: map[*batch.Sheet]uint64{}}
	r.sets = make([]*keySet, len(cfg.Ops))
	for i := range r.sets {
		r.sets[i] = newKeySet(sheets)
	}
	r.order = newOrder(cfg.Ops, sheets)
	return r
}

func (r *runner) readAll() error {
	for _, in := range r.cfg.Inputs {
		if err := in.Each(r.admit); err != nil {
			return err
		}
	}
	return nil
}

// admit reads one row: each operation it asks for gets its result, or the
// job that will give it. Reading goes on after a stop, so that every row
// reaches the sink, as PENDIENTE if it was not sent.
func (r *runner) admit(row batch.Row) error {
	applies, anyKey := false, false
	for _, op := range r.cfg.Ops {
		applies = applies || op.applies(row)
		anyKey = anyKey || (op.applies(row) && row.Get(op.KeyField()) != "")
	}
	keep, refused := true, ""
	if r.cfg.Keep != nil {
		keep, refused = r.cfg.Keep(row)
	}
	if !applies || !keep {
		return nil // a sheet no operation is for, or another company's row
	}
	if !r.keyed(row) && footer(row) {
		r.counts.footers++ // a total under the invoices: not one of them
		return nil
	}
	r.counts.rows++
	r.release()
	s := &slot{row: row, parts: make([]part, len(r.cfg.Ops))}
	for i, op := range r.cfg.Ops {
		if !op.wants(row) || (anyKey && row.Get(op.KeyField()) == "") {
			continue // the row does not ask for this operation
		}
		if refused != "" {
			s.parts[i] = part{res: batch.Result{Status: batch.StatusInvalido, Code: batch.CodeValidacion, Message: refused}}
			continue
		}
		s.parts[i] = r.part(i, row)
	}
	r.slots <- s
	return nil
}

// part is one operation's share of a row: a check that failed, a key
// seen before, a dry run's plan, or a job.
func (r *runner) part(i int, row batch.Row) part {
	if s, ok := r.cfg.Ops[i].Operation.(Screener); ok {
		if res, send := s.Screen(row); !send {
			return part{res: res}
		}
	}
	req, problem := r.cfg.Ops[i].Prepare(row)
	if problem != "" {
		return part{res: batch.Result{Status: batch.StatusInvalido, Code: batch.CodeValidacion, Message: problem}}
	}
	id := r.sets[i].id(req.Key)
	if f, ok := r.sets[i].first(id); ok {
		if f.sheet == row.Sheet && f.line == row.Line {
			return r.own(i, req.Key, id, f) // sent ahead, for a row above that waited on it
		}
		return r.repeat(i, req.Key, id, f)
	}
	f := first{sheet: row.Sheet, line: row.Line}
	if r.cfg.DryRun {
		return r.plan(i, req.Key, id, f)
	}
	return r.launch(i, req, id, f, row)
}

// repeat is a row whose key an earlier row carried: it shares that job,
// or reads its result back once the job was let go.
func (r *runner) repeat(i int, key string, id keyID, f first) part {
	r.counts.duplicates++
	p := part{job: r.jobOf(i, id), from: &f}
	if p.job == nil {
		res, err := readBack(r.cfg, r.cfg.Ops[i], key, f)
		if err != nil {
			res = r.journalStop(err)
		}
		p.res = res
	}
	return p
}

// plan is a dry run's result for a new key: what the journal says, or
// what a run would send.
func (r *runner) plan(i int, key string, id keyID, f first) part {
	op := r.cfg.Ops[i]
	res, ok, err := reuse(r.cfg, op, key)
	switch {
	case err != nil:
		res = r.journalStop(err)
	case ok:
		r.counts.reused++
		f.reused = true
	case r.cfg.Limit > 0 && r.counts.requests >= r.cfg.Limit:
		res = overLimit(r.cfg.Limit)
	default:
		r.counts.requests++
		r.counts.opRequests[op.Name()]++
		res = r.planOrder(i, key)
	}
	r.sets[i].add(id, f)
	return part{res: res}
}

// launch gives a new key its job: answered from the journal when an
// earlier run finished it, else sent by a worker.
func (r *runner) launch(i int, req batch.Request, id keyID, f first, row batch.Row) part {
	op, set := r.cfg.Ops[i], r.sets[i]
	j := &job{done: make(chan struct{})}
	set.jobs[id] = j
	r.live = append(r.live, held{set, id, j})
	res, ok, err := reuse(r.cfg, op, req.Key)
	f.reused = ok && err == nil
	set.add(id, f)
	switch {
	case err != nil:
		j.finish(r.journalStop(err), false)
	case ok:
		r.counts.reused++
		j.finish(res, true)
	case r.start.Err() != nil:
		j.finish(notSent(r.start), false)
	case op.Gate.Stopped() != nil:
		j.finish(stoppedBy(op.Gate.Stopped()), false)
	case r.cfg.Limit > 0 && r.counts.requests >= r.cfg.Limit:
		j.finish(overLimit(r.cfg.Limit), false)
	default:
		r.counts.requests++
		r.counts.opRequests[op.Name()]++
		j.request = true
		r.send(j, i, req, row)
	}
	return part{job: j}
}

// send gives a key's request to a worker once the requests it follows
// are done: it waits outside the group, so that a waiting request holds no
// place among those in flight.
func (r *runner) send(j *job, i int, req batch.Request, row batch.Row) {
	op := r.cfg.Ops[i]
	work := func(reason string, missing bool) {
		c, checkable := op.Operation.(Checked)
		switch {
		case reason == "":
			r.group.Go(func() error {
				res, err := attempt(r.start, r.flight, op, req, row, r.cfg)
				j.finish(res, r.cfg.Journal != nil && err == nil && res.Attempts > 0)
				return err
			})
		case missing && checkable:
			r.group.Go(func() error {
				res, recorded, err := r.checked(op, c, req, row, reason)
				j.finish(res, recorded)
				return err
			})
		default:
			j.finish(batch.Result{Status: batch.StatusPendiente, Code: batch.CodeSinPrevio, Message: reason}, false)
		}
	}
	priors, why := r.waits(i, req.Key)
	if len(priors) == 0 {
		work(why())
		return
	}
	r.waiting.Add(1)
	go func() {
		defer r.waiting.Done()
		for _, p := range priors {
			select {
			case <-p.done:
			case <-r.start.Done():
				j.finish(notSent(r.start), false)
				return
			}
		}
		work(why())
	}()
}

func tookEffect(s batch.Status) bool { return s == batch.StatusOK || s == batch.StatusYaRegistrado }

// release lets go of the finished jobs whose result is in the journal; a
// later row with their key reads it back.
func (r *runner) release() {
	for len(r.live) > 0 {
		h := r.live[0]
		select {
		case <-h.job.done:
		default:
			return
		}
		switch {
		case h.job.recorded:
			delete(h.set.jobs, h.id)
		case h.job.res.Attempts == 0 && h.job.res.Values == nil:
			// Never sent, and so not in the journal: the run's limit, a
			// stop. A million such keys share a handful of results.
			if n, ok := r.shared(h.job.res); ok {
				h.set.markUnsent(h.id, n)
			}
		}
		r.live[0] = held{}
		r.live = r.live[1:]
	}
}

// shared is the number of the finished job with res that every key never
// sent with the same result shares; false once maxShared are taken.
func (r *runner) shared(res batch.Result) (int, bool) {
	k := [3]string{string(res.Status), res.Code, res.Message}
	if n, ok := r.unsentIndex[k]; ok {
		return n, true
	}
	if len(r.unsent) >= maxShared {
		return 0, false
	}
	j := &job{done: make(chan struct{})}
	j.finish(res, false)
	r.unsent = append(r.unsent, j)
	r.unsentIndex[k] = len(r.unsent) - 1
	return len(r.unsent) - 1, true
}

// jobOf is op i's job for the key id in this run, while it is held or
// shared; nil once let go (its result is in the journal) or never made.
func (r *runner) jobOf(i int, id keyID) *job {
	set := r.sets[i]
	if j := set.jobs[id]; j != nil {
		return j
	}
	if n, ok := set.unsent(id); ok {
		return r.unsent[n]
	}
	return nil
}

// journalStop stops sending: without the journal the tool cannot promise
// that nothing is sent twice.
func (r *runner) journalStop(err error) batch.Result {
	res, stop := journalFailed(batch.Result{}, err)
	r.stop(stop)
	return res
}

// keyed reports whether the row holds a key for an operation that applies
// to it: a word of a total in the key's column ("TOTAL" under the CUFEs)
// is not one.
func (r *runner) keyed(row batch.Row) bool {
	for _, op := range r.cfg.Ops {
		if k := row.Get(op.KeyField()); op.applies(row) && k != "" && !totalWord(k) {
			return true
		}
	}
	return false
}

// totalWord reports whether a cell says it is a total.
func totalWord(c string) bool {
	c = strings.ToLower(strings.TrimSpace(c))
	for _, w := range []string{"total", "subtotal", "suma", "gran total"} {
		if strings.HasPrefix(c, w) {
			return true
		}
	}
	return false
}

// footer reports whether a row without any key reads like the total or
// the footer an accountant leaves under the invoices: a cell that says
// "Total", "Subtotal", "Suma" or "Gran total", or only amounts beside
// empty identifiers.
func footer(row batch.Row) bool {
	numbers, words := 0, 0
	for i, c := range row.Cells {
		c = strings.ToLower(strings.TrimSpace(c))
		switch {
		case c == "":
		case totalWord(c):
			return true
		case i < len(row.Values):
			// The reader typed it: an identifier (a NIT) is text
			// whatever it holds, and a row with one is an invoice's.
			if row.Values[i].Type == batch.ValueNumber {
				numbers++
			} else {
				words++
			}
		default:
			if _, err := strconv.ParseFloat(strings.NewReplacer(".", "", ",", "", "$", "", " ", "").Replace(c), 64); err == nil {
				numbers++
			} else {
				words++
			}
		}
	}
	return numbers > 0 && words == 0
}
