// Package pipeline runs every row of the inputs through the operations it
// asks for: it checks rows before a request is spent, sends each distinct
// key once, paces and retries the requests, and hands the results to the
// workbook in input order.
package pipeline

import (
	"context"
	"errors"
	"strings"
	"time"

	"batch"
)

// Operation is what the pipeline needs of an operation (an acuse, a CUV
// query, an e-mail dispatch).
type Operation interface {
	Name() string
	// KeyField is the column holding the key. A row whose key cell is
	// empty while another operation's is not does not ask for this one.
	KeyField() batch.Field
	// Prepare checks a row and builds its request once (its key, what is
	// journalled, what is sent), or says why the row must not be sent.
	Prepare(row batch.Row) (req batch.Request, problem string)
}

// Asker is an operation that not every row of its sheets asks for (a row
// names the RADIAN events it wants).
type Asker interface {
	Asks(row batch.Row) bool
}

// Screener is an operation that not every row is for, by what the row
// says it is (a credit note, an invoice the company issued): such a row is
// not sent and gets the result Screen gives it.
type Screener interface {
	Screen(row batch.Row) (res batch.Result, send bool)
}

// Sequenced is an operation that goes only after another operation on the
// same key took effect (OK or YA_REGISTRADO), in this run or an earlier one:
// DIAN's order of events.
type Sequenced interface {
	After() string
}

// Fresh is an operation whose earlier answers are never reused: what it
// asks changes from one night to the next.
type Fresh interface {
	Fresh() bool
}

// FreshFor is an operation whose answers hold for a while only (who holds
// an invoice, asked each night): one recorded longer ago than FreshFor is
// not reused; a newer one is, so a run resumed the same night does not ask
// twice.
type FreshFor interface {
	FreshFor() time.Duration
}

// Reviewer is an operation that checks each row against the answer its key
// got: rows that share a key (or read it back from the journal) are still
// different rows, each with its own invoice data.
type Reviewer interface {
	Review(row batch.Row, res batch.Result) batch.Result
}

// Journal is the durable record of every key's state and every attempt.
// Each call is on disk when it returns.
type Journal interface {
	// Recorded returns the last state recorded for a key.
	Recorded(op, key string) (res batch.Result, at time.Time, found bool, err error)
	// Begin records an attempt about to be sent; the key is in flight.
	Begin(op, key string, from batch.Origin, request string) (int64, error)
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
	// Gate, when set, is the service's: a refusal that concerns every row
	// stops the operations of that service alone, and an outage is waited
	// out. Without it, such a refusal stops the whole run.
	Gate *Gate
	// AtMostOnce: the provider does not refuse a repeat, and a repeat
	// reaches a person (an e-mail). An attempt whose outcome is unknown
	// (batch.Answer.Unsure, or no answer recorded) leaves the key REVISAR:
	// it is not sent again, in this run or a later one, unless named in
	// Config.Resend.
	AtMostOnce bool
}

func (o Op) applies(row batch.Row) bool { return o.Sheets == nil || o.Sheets(row.Sheet) }

// wants reports whether the row asks for the operation.
func (o Op) wants(row batch.Row) bool {
	if a, ok := o.Operation.(Asker); ok && !a.Asks(row) {
		return false
	}
	return o.applies(row)
}

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
	// Resend are keys a person asked to send again whatever the journal
	// holds (an e-mail the customer did not get), as ResendKey writes them.
	Resend map[string]bool
	// Flight is the context of requests already sent. When the run's
	// context ends no new request starts, and those under way go on until
	// Flight ends. Nil means they go on until they finish.
	Flight context.Context
	// Keep, when set, says which rows are this run's: a night of several
	// companies reads a shared file once per company, each keeping its
	// rows. The others are neither counted nor written.
	// A row it keeps with a reason is this run's but must not be sent
	// (another company's row in this company's file): INVALIDO with it.
	Keep func(batch.Row) (keep bool, refused string)
	// Limit, when above 0, is how many requests the run sends at most (a
	// first, small real night): the keys past it are PENDIENTE, not
	// attempted.
	Limit int
	// DryRun reads, checks and writes every row as a run would, and sends
	// nothing: the keys that would be sent are PENDIENTE with code
	// SIN_ENVIAR. The journal is only read.
	DryRun bool
}

// MaxNotes bounds the notes a run keeps: a file of a million invalid rows
// is one problem, not a million.
const MaxNotes = 10000

// Stopped is returned when a refusal that concerns every row (a bad token,
// a wrong address, a journal that cannot be written) stopped the run.
type Stopped struct {
	Reason string
	Kind   batch.Kind // what must change, for the front end's words
	Op     string     // the operation whose answer stopped it, if one did
}

func (e *Stopped) Error() string { return e.Reason }

// Run processes every row of every input and returns when the sink has
// received all of them. Its error is a refusal that stopped sending
// (*Stopped), an input that could not be read, or a sink that failed; rows
// not sent are then PENDIENTE in the sink.
func Run(ctx context.Context, cfg Config) (batch.Summary, error) {
	started := time.Now()
	r := newRun(ctx, cfg)
	defer r.stop(nil)
	tallied := make(chan tally, 1)
	go r.write(tallied)
	readErr := r.scan()
	if readErr == nil {
		readErr = r.readAll()
	}
	r.waiting.Wait() // before the group's: a waiting request may still join it
	runErr := r.group.wait()
	close(r.slots)
	t := <-tallied
	sum := r.summary(t)
	sum.Started, sum.Ended = started, time.Now()
	switch {
	case t.err != nil:
		return sum, t.err
	case readErr != nil:
		return sum, readErr
	case runErr != nil:
		return sum, runErr
	}
	var stopped *Stopped
	if cause := context.Cause(r.base); errors.As(cause, &stopped) {
		return sum, stopped
	}
	for _, op := range cfg.Ops {
		if s := op.Gate.Stopped(); s != nil {
			return sum, s
		}
	}
	return sum, ctx.Err()
}

// ResendKey is a key as Config.Resend holds it: the case and the spacing a
// person types are not the key's.
func ResendKey(key string) string { return strings.ToLower(strings.Join(strings.Fields(key), " ")) }
