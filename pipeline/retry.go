package pipeline

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"batch"
)

// RetryPolicy bounds how long one row keeps trying. Retrying lives here
// alone: clients classify, this loop waits and resends.
type RetryPolicy struct {
	// MaxAttempts is how many attempts a row gets against transient
	// failures (5xx, code 28, dropped connections, timeouts).
	MaxAttempts int
	// MaxRateLimited is how many 429 answers a row tolerates; they are not
	// the row's fault, so they have their own, larger budget.
	MaxRateLimited int
	// BaseDelay and MaxDelay shape the exponential backoff.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.MaxRateLimited <= 0 {
		p.MaxRateLimited = 30
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 2 * time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 2 * time.Minute
	}
	return p
}

// backoff is the wait before retry n (1-based): exponential, capped, with
// jitter so that rows failing together do not return together.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay << min(n-1, 20)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// attempt sends one key until it gets a final answer, the budget runs out,
// or the run stops. start ends when no new attempt may begin; flight is the
// context of the request itself. Every attempt is in the journal before it
// is sent, and its answer is there before the result goes on. The error is
// non-nil only for what must stop the whole run.
func attempt(start, flight context.Context, op Op, req batch.Request, row batch.Row, cfg Config) (batch.Result, error) {
	var (
		res   batch.Result
		spent budget
		lead  *batch.Result // the answer a follow-up request completes
		key   = req.Key     // a follow-up is recorded under its lead's key
	)
	for {
		pass, err := op.Gate.Enter(start)
		if err != nil {
			return refusedByGate(res, start, err), nil
		}
		waitCtx, done := pass.WhileUp(start)
		ticket, ok := wait(waitCtx, op.Pacer)
		done()
		if !ok && start.Err() != nil {
			pass.Cancel()
			return pending(res, start), nil
		}
		if !ok || !pass.Open() {
			if ok {
				ticket.Cancel()
			}
			continue // the service went down meanwhile: back to the gate
		}
		var id int64
		if cfg.Journal != nil {
			if id, err = cfg.Journal.Begin(op.Name(), key, origin(row), req.Describe()); err != nil {
				ticket.Cancel()
				pass.Cancel()
				return journalFailed(res, err)
			}
		}
		res.Attempts++
		// The pacer's window log takes the time the request leaves, after
		// the journal's fsync, not the time it was let through.
		ticket.Sent()
		pass.Sent()
		ans := req.Send(flight)
		res.Code, res.Message, res.Values = ans.Code, ans.Message, ans.Values
		down := pass.Done(key, ans)
		next, fatal := spent.decide(cfg.Retry, ans, &res, down)
		if op.AtMostOnce && ans.Unsure && fatal == nil {
			// Sent, perhaps: a person decides, not a retry.
			res.Status, res.Code, res.Message, next = batch.StatusRevisar, batch.CodeIncierto, joinMsg(ans.Message, unsure(key)), -1
		}
		if lead != nil && (next < 0 || fatal != nil) {
			res = completed(*lead, res, ans)
		}
		if ans.Class == batch.ClassRateLimited && ans.RetryAfter > maxRetryAfter && op.Gate != nil && next >= 0 {
			op.Gate.Hold(time.Now().Add(ans.RetryAfter))
			next = 0 // the gate lets the attempt out when the wait is over
		}
		if cfg.Journal != nil {
			if err := cfg.Journal.End(id, op.Name(), key, ans, res); err != nil {
				return journalFailed(res, err)
			}
		}
		switch {
		case fatal != nil && op.Gate != nil:
			fatal.Op = op.Name()
			op.Gate.Stop(fatal) // the service's operations stop; the others go on
			return res, nil
		case fatal != nil:
			fatal.Op = op.Name()
			return res, fatal
		case next < 0 && ans.Then != nil && ans.Class == batch.ClassAlreadyDone && lead == nil:
			lead, req, spent = &batch.Result{}, *ans.Then, budget{}
			*lead = res
			continue // the follow-up goes as any request: paced, gated, journalled
		case next < 0:
			return res, nil
		}
		if sleep(start, next) != nil {
			return pending(res, start), nil
		}
	}
}

// completed is an answer (LGC01) once its follow-up (the history) ended:
// its status, with the values the follow-up found, or a note of why it
// found none. Every attempt of both counts.
func completed(lead, res batch.Result, ans batch.Answer) batch.Result {
	out := lead
	out.Attempts = res.Attempts
	if ans.Class == batch.ClassAlreadyDone || ans.Class == batch.ClassOK {
		out.Values, out.Message = ans.Values, ans.Message
		return out
	}
	out.Message = joinMsg(lead.Message, "no se pudo consultar el histórico para el CUDE: "+res.Message)
	return out
}

// maxRetryAfter is the longest wait a 429's Retry-After gets as a row's
// wait; a longer one pauses the service like an outage.
const maxRetryAfter = 5 * time.Minute

// refusedByGate is the result of a row the service's gate did not let out: the
// service was stopped, or its outage outlasted the wait.
func refusedByGate(res batch.Result, start context.Context, err error) batch.Result {
	var stopped *Stopped
	switch {
	case errors.As(err, &stopped):
		if res.Attempts == 0 {
			return stoppedBy(stopped)
		}
		res.Status = batch.StatusPendiente
		res.Message = joinMsg(res.Message, "no se reintentó: la ejecución se detuvo ("+stopped.Reason+")")
		return res
	case errors.Is(err, errOutage):
		res.Status = batch.StatusPendiente
		res.Message = joinMsg(res.Message, "el proveedor no respondió en toda la espera; se enviará en la próxima ejecución")
		return res
	}
	return pending(res, start)
}

// wait takes the pacer's leave for one attempt; ok is false when the run
// stopped first.
func wait(start context.Context, p Pacer) (Ticket, bool) {
	if p == nil {
		return noTicket{}, start.Err() == nil
	}
	t, err := p.Wait(start)
	return t, err == nil
}

// budget counts one key's retries, transient failures and 429 apart.
type budget struct{ transient, rateLimited int }

// decide sets the key's state after an answer and says what comes next:
// the wait before the next attempt, or -1 when the key is done. A refusal
// that concerns every row comes back as fatal.
// While the service is down, a transient answer spends nothing: the gate
// decides when the next attempt goes.
func (b *budget) decide(p RetryPolicy, ans batch.Answer, res *batch.Result, down bool) (next time.Duration, fatal *Stopped) {
	switch ans.Class {
	case batch.ClassOK:
		res.Status = batch.StatusOK
	case batch.ClassAlreadyDone:
		res.Status = batch.StatusYaRegistrado
	case batch.ClassRejected:
		res.Status = batch.StatusRechazado
	case batch.ClassUnexpected:
		res.Status = batch.StatusError
	case batch.ClassFatal:
		res.Status = batch.StatusPendiente
		return -1, &Stopped{Reason: ans.Message, Kind: ans.Kind}
	case batch.ClassRateLimited:
		res.Status = batch.StatusPendiente
		if b.rateLimited++; b.rateLimited >= p.MaxRateLimited {
			*res = exhausted(*res)
			return -1, nil
		}
		return max(min(ans.RetryAfter, maxRetryAfter), p.backoff(1)), nil
	default: // transient
		res.Status = batch.StatusPendiente
		if down {
			return 0, nil
		}
		if b.transient++; b.transient >= p.MaxAttempts {
			*res = exhausted(*res)
			return -1, nil
		}
		return p.backoff(b.transient), nil
	}
	return -1, nil
}

// journalFailed stops the run: without the journal the tool cannot promise
// that nothing is sent twice.
// An answer already in hand is kept in the workbook, with a note: the
// provider acted on it, whatever the journal could record.
func journalFailed(res batch.Result, err error) (batch.Result, error) {
	if res.Status.Final() || res.Status == batch.StatusRevisar {
		res.Message = joinMsg(res.Message, "no quedó en el diario: "+err.Error())
	} else {
		res.Status = batch.StatusPendiente
		res.Code = batch.CodeDiario
		res.Message = err.Error()
	}
	return res, &Stopped{Reason: err.Error(), Kind: batch.KindJournal}
}

// exhausted is a row that ran out of attempts: not the user's to fix, the
// next run sends it again.
func exhausted(res batch.Result) batch.Result {
	res.Status = batch.StatusPendiente
	res.Message = joinMsg(res.Message, "se agotaron los reintentos; se enviará de nuevo en la próxima ejecución")
	return res
}

func pending(res batch.Result, start context.Context) batch.Result {
	if res.Attempts == 0 {
		return notSent(start)
	}
	res.Status = batch.StatusPendiente
	res.Message = joinMsg(res.Message, "la ejecución se detuvo antes de la respuesta final; se enviará de nuevo en la próxima ejecución")
	return res
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
