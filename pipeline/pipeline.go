// Package pipeline runs every row of the inputs through the operations it
// asks for: it checks rows before a request is spent, sends each distinct
// key once, paces and retries the requests, and hands the results to the
// workbook in input order.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"batch"
)

// Operation is what the pipeline needs of an operation (an acuse, a CUV
// query, an e-mail dispatch).
type Operation interface {
	Name() string
	// KeyField is the column holding the key. A row whose key cell is
	// empty while another operation's is not does not ask for this one.
	KeyField() batch.Field
	// Check returns the key that identifies the row's work (the CUFE), or
	// why the row must not be sent.
	Check(row batch.Row) (key, problem string)
	// Send makes one attempt and classifies its answer.
	Send(ctx context.Context, row batch.Row) batch.Answer
	// Request describes what Send sends, minus secrets, for the journal.
	Request(row batch.Row) string
}

// Journal is the durable record of every key's state and every attempt.
// Each call is on disk when it returns.
type Journal interface {
	// Recorded returns the last state recorded for a key.
	Recorded(op, key string) (res batch.Result, at time.Time, found bool, err error)
	// Begin records an attempt about to be sent; the key is in flight.
	Begin(op, key, source, request string) (int64, error)
	// End records the attempt's answer and the key's state after it.
	End(id int64, op, key string, ans batch.Answer, state batch.Result) error
}

// Pacer spaces requests to the provider's limit. Every attempt waits on it,
// and says through the ticket when the request goes out.
type Pacer interface {
	Wait(ctx context.Context) (Ticket, error)
}

// Sink receives every row, in input order, with one result per operation.
type Sink interface {
	Write(row batch.Row, results []batch.Result) error
}

// Source streams rows; a readers.Input is one.
type Source interface {
	Each(fn func(batch.Row) error) error
}

// Op is an operation with the pacer of the token it spends.
type Op struct {
	Operation
	Pacer Pacer
	// Sheets, when set, says which sheets ask for the operation: a sheet
	// of issued invoices is not one of received invoices, whatever
	// columns the two share.
	Sheets func(*batch.Sheet) bool
}

func (o Op) applies(row batch.Row) bool { return o.Sheets == nil || o.Sheets(row.Sheet) }

// Config is one run.
type Config struct {
	Inputs []Source
	Ops    []Op
	Sink   Sink
	Retry  RetryPolicy
	// InFlight is the ceiling on requests under way at once. It must allow
	// rate × the provider's worst latency, or the limit is never reached.
	InFlight int
	// Window is how many rows may wait for their results before reading
	// pauses: it bounds memory whatever the input's size.
	Window int
	// Journal, when set, makes the run resumable: keys it holds as final
	// are not sent again, and every attempt is recorded before it is sent.
	Journal Journal
	// RetryRejected sends again the keys the journal holds as RECHAZADO.
	RetryRejected bool
	// Flight is the context of requests already sent. When the run's
	// context ends no new request starts, and those under way go on until
	// Flight ends. Nil means they go on until they finish.
	Flight context.Context
	// DryRun reads, checks and writes every row as a run would, and sends
	// nothing: the keys that would be sent are PENDIENTE with code
	// SIN_ENVIAR. The journal is only read.
	DryRun bool
}

// Summary counts what happened.
type Summary struct {
	Rows       int                             // data rows read
	Requests   int                             // distinct keys sent (in a dry run, to send)
	OpRequests map[string]int                  // Requests per operation
	Reused     int                             // keys answered from the journal, not sent
	Duplicates int                             // rows answered by an earlier row's request
	Attempts   int                             // requests made, retries included
	Statuses   map[string]map[batch.Status]int // operation → status → rows
	Started    time.Time
	Ended      time.Time
}

// Complete reports whether every row of every operation is OK or
// YA_REGISTRADO.
func (s Summary) Complete() bool {
	for _, m := range s.Statuses {
		for st, n := range m {
			if n > 0 && st != batch.StatusOK && st != batch.StatusYaRegistrado {
				return false
			}
		}
	}
	return true
}

// Stopped is returned when a refusal that concerns every row (a bad token,
// a wrong address) stopped the run.
type Stopped struct{ Reason string }

func (e *Stopped) Error() string { return e.Reason }

// job is one request for one key; every row with that key shares it.
type job struct {
	done     chan struct{}
	res      batch.Result
	recorded bool // res is the journal's last state for the key
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

// first is where a key was first seen.
type first struct {
	sheet  *batch.Sheet
	line   int
	reused bool // answered from an earlier run's journal
}

func (f *first) place() string { return fmt.Sprintf("la hoja «%s», fila %d", f.sheet.Name, f.line) }

// keyID is a key's hash. Two independent 64-bit hashes make a collision
// between two CUFEs of one run (which would leave one unsent) a 1 in 2^100
// event for a million keys.
type keyID [2]uint64

// keySet is the distinct keys of one operation seen so far in the run.
// Every key keeps 24 bytes: its hash and where it was first seen, packed.
// Its job is held apart, and only until its result can be read back from
// the journal, so memory stays flat however many rows the inputs have.
type keySet struct {
	seeds  [2]maphash.Seed
	firsts map[keyID]uint64
	jobs   map[keyID]*job
	sheets *sheetList
}

// sheetList numbers the sheets for the packed places of every key set.
type sheetList struct {
	list  []*batch.Sheet
	index map[*batch.Sheet]uint64
}

func (l *sheetList) number(s *batch.Sheet) uint64 {
	n, ok := l.index[s]
	if !ok {
		n = uint64(len(l.list))
		l.index[s] = n
		l.list = append(l.list, s)
	}
	return n
}

func newKeySet(sheets *sheetList) *keySet {
	return &keySet{
		seeds:  [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		firsts: map[keyID]uint64{},
		jobs:   map[keyID]*job{},
		sheets: sheets,
	}
}

// A packed place: the row's line above bit 21, the sheet's number in bits
// 1 to 20, and whether the key was answered from the journal in bit 0.
func (k *keySet) add(id keyID, f first) {
	v := uint64(f.line)<<21 | k.sheets.number(f.sheet)<<1
	if f.reused {
		v |= 1
	}
	k.firsts[id] = v
}

func (k *keySet) first(id keyID) (first, bool) {
	v, ok := k.firsts[id]
	if !ok {
		return first{}, false
	}
	return first{sheet: k.sheets.list[v>>1&(1<<20-1)], line: int(v >> 21), reused: v&1 == 1}, true
}

func (k *keySet) id(key string) keyID {
	return keyID{maphash.String(k.seeds[0], key), maphash.String(k.seeds[1], key)}
}

// Run processes every row of every input and returns when the sink has
// received all of them. Its error is a refusal that stopped sending
// (*Stopped), an input that could not be read, or a sink that failed; rows
// not sent are then PENDIENTE in the sink.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	cfg.Retry = cfg.Retry.withDefaults()
	if cfg.InFlight <= 0 {
		cfg.InFlight = 1
	}
	if cfg.Window <= 0 {
		cfg.Window = 4096
	}
	flight := cfg.Flight
	if flight == nil {
		flight = context.WithoutCancel(ctx)
	}
	sum := Summary{Started: time.Now(), Statuses: map[string]map[batch.Status]int{}, OpRequests: map[string]int{}}
	for _, op := range cfg.Ops {
		sum.Statuses[op.Name()] = map[batch.Status]int{}
	}

	// Sending stops when the group's context ends: a fatal answer, the
	// sink's failure, or the caller. Requests already under way use flight
	// and are not cut short by another row's failure.
	startCtx, stopStarting := context.WithCancelCause(ctx)
	defer stopStarting(nil)
	g, gctx := errgroup.WithContext(startCtx)
	g.SetLimit(cfg.InFlight)

	var mu sync.Mutex // guards the counters the workers update
	slots := make(chan *slot, cfg.Window)
	var sinkErr error
	written := make(chan struct{})
	go func() {
		defer close(written)
		for s := range slots {
			results := make([]batch.Result, len(s.parts))
			for i, p := range s.parts {
				results[i] = p.res
				if p.job != nil {
					<-p.job.done
					results[i] = p.job.res
				}
				if p.from != nil {
					key := strings.ToUpper(string(cfg.Ops[i].KeyField()))
					once := ": se envió una sola vez"
					if cfg.DryRun {
						once = ": se enviaría una sola vez"
					}
					results[i].Message = joinMsg(results[i].Message, "mismo "+key+" que "+p.from.place()+once)
				}
				if results[i].Status != "" {
					sum.Statuses[cfg.Ops[i].Name()][results[i].Status]++
				}
			}
			if sinkErr == nil {
				if sinkErr = cfg.Sink.Write(s.row, results); sinkErr != nil {
					stopStarting(sinkErr)
				}
			}
		}
	}()

	sheets := &sheetList{index: map[*batch.Sheet]uint64{}}
	sets := make([]*keySet, len(cfg.Ops))
	for i := range sets {
		sets[i] = newKeySet(sheets)
	}
	// live are the jobs the key sets hold, oldest first. Once a job's
	// result is in the journal its key lets go of it, and a later row with
	// that key reads the result back.
	type held struct {
		set *keySet
		id  keyID
		job *job
	}
	var live []held
	release := func() {
		for len(live) > 0 {
			h := live[0]
			select {
			case <-h.job.done:
			default:
				return
			}
			if h.job.recorded {
				delete(h.set.jobs, h.id)
			}
			live[0] = held{}
			live = live[1:]
		}
	}
	stopOnJournal := func(err error) batch.Result {
		res, stop := journalFailed(batch.Result{}, err)
		stopStarting(stop)
		return res
	}
	readErr := func() error {
		for _, in := range cfg.Inputs {
			err := in.Each(func(row batch.Row) error {
				applies := false
				for _, op := range cfg.Ops {
					applies = applies || op.applies(row)
				}
				if !applies {
					return nil // a sheet no operation is for, like one without a key column
				}
				sum.Rows++
				release()
				s := &slot{row: row, parts: make([]part, len(cfg.Ops))}
				anyKey := false
				for _, op := range cfg.Ops {
					anyKey = anyKey || (op.applies(row) && row.Get(op.KeyField()) != "")
				}
				for i, op := range cfg.Ops {
					if !op.applies(row) || (anyKey && row.Get(op.KeyField()) == "") {
						continue // the row does not ask for this operation
					}
					key, problem := op.Check(row)
					if problem != "" {
						s.parts[i].res = batch.Result{Status: batch.StatusInvalido, Code: "VALIDACION", Message: problem}
						continue
					}
					set := sets[i]
					id := set.id(key)
					if f, ok := set.first(id); ok {
						sum.Duplicates++
						s.parts[i] = part{job: set.jobs[id], from: &f}
						if s.parts[i].job == nil {
							res, err := readBack(cfg, op, key, f)
							if err != nil {
								res = stopOnJournal(err)
							}
							s.parts[i].res = res
						}
						continue
					}
					f := first{sheet: row.Sheet, line: row.Line}
					if cfg.DryRun {
						res, ok, err := reuse(cfg, op, key)
						switch {
						case err != nil:
							res = stopOnJournal(err)
						case ok:
							sum.Reused++
							f.reused = true
						default:
							sum.Requests++
							sum.OpRequests[op.Name()]++
							res = wouldSend
						}
						set.add(id, f)
						s.parts[i].res = res
						continue
					}
					j := &job{done: make(chan struct{})}
					s.parts[i].job = j
					set.jobs[id] = j
					live = append(live, held{set, id, j})
					res, ok, err := reuse(cfg, op, key)
					f.reused = ok && err == nil
					set.add(id, f)
					if err != nil || ok {
						if err != nil {
							res = stopOnJournal(err)
						} else {
							sum.Reused++
							j.recorded = true
						}
						j.res = res
						close(j.done)
						continue
					}
					if gctx.Err() != nil {
						j.res = notSent(gctx)
						close(j.done)
						continue
					}
					mu.Lock()
					sum.Requests++
					sum.OpRequests[op.Name()]++
					mu.Unlock()
					op, row := cfg.Ops[i], row
					g.Go(func() error {
						defer close(j.done)
						var err error
						j.res, err = attempt(gctx, flight, op, key, row, cfg, func() {
							mu.Lock()
							sum.Attempts++
							mu.Unlock()
						})
						j.recorded = cfg.Journal != nil && err == nil && j.res.Attempts > 0
						return err
					})
				}
				// Reading goes on after a stop, so that every row reaches
				// the workbook, as PENDIENTE if it was not sent.
				slots <- s
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}()
	runErr := g.Wait()
	close(slots)
	<-written
	sum.Ended = time.Now()

	switch {
	case sinkErr != nil:
		return sum, sinkErr
	case readErr != nil:
		return sum, readErr
	case runErr != nil:
		return sum, runErr
	}
	var stopped *Stopped
	if cause := context.Cause(startCtx); errors.As(cause, &stopped) {
		return sum, stopped
	}
	return sum, ctx.Err()
}

// reuse answers a key from the journal when an earlier run left it final.
func reuse(cfg Config, op Op, key string) (batch.Result, bool, error) {
	if cfg.Journal == nil {
		return batch.Result{}, false, nil
	}
	res, at, found, err := cfg.Journal.Recorded(op.Name(), key)
	if err != nil || !found || !res.Status.Final() {
		return batch.Result{}, false, err
	}
	if res.Status == batch.StatusRechazado && cfg.RetryRejected {
		return batch.Result{}, false, nil
	}
	res.Attempts = 0
	note := "resultado de una ejecución anterior (" + at.Local().Format("2006-01-02 15:04") + "); no se envió de nuevo"
	if res.Status == batch.StatusRechazado {
		note += ": corrija el dato y ejecute con --reintentar para enviarlo otra vez"
	}
	res.Message = joinMsg(res.Message, note)
	return res, true, nil
}

// wouldSend is a dry run's result for a key a run would send.
var wouldSend = batch.Result{Status: batch.StatusPendiente, Code: "SIN_ENVIAR", Message: "se enviaría (simulación: no se envió nada)"}

// readBack is the result of a key whose first row's job was let go: the
// journal holds it. In a dry run nothing was sent, so it is worked out
// again.
func readBack(cfg Config, op Op, key string, f first) (batch.Result, error) {
	if cfg.DryRun || f.reused {
		res, ok, err := reuse(cfg, op, key)
		if err != nil || ok {
			return res, err
		}
		return wouldSend, nil
	}
	res, _, found, err := cfg.Journal.Recorded(op.Name(), key)
	if err != nil {
		return res, err
	}
	if !found {
		return res, fmt.Errorf("el diario no tiene el resultado de %s %s, que se registró en esta ejecución", op.Name(), key)
	}
	return res, nil
}

// notSent is the result of a row whose request was never started because
// the run stopped.
func notSent(gctx context.Context) batch.Result {
	msg := "no se envió: la ejecución se detuvo"
	var stopped *Stopped
	if cause := context.Cause(gctx); errors.As(cause, &stopped) {
		msg += " (" + stopped.Reason + ")"
	}
	return batch.Result{Status: batch.StatusPendiente, Code: "NO_ENVIADO", Message: msg}
}

func place(row batch.Row) string {
	return (&first{sheet: row.Sheet, line: row.Line}).place()
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + " — " + b
}
