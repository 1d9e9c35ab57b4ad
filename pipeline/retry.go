package pipeline

import (
	"context"
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
func attempt(start, flight context.Context, op Op, key string, row batch.Row, cfg Config, count func()) (batch.Result, error) {
	p := cfg.Retry
	var (
		res                   batch.Result
		transient, rateLimits int
	)
	for {
		var ticket Ticket = noTicket{}
		if op.Pacer != nil {
			var err error
			if ticket, err = op.Pacer.Wait(start); err != nil {
				return pending(res, start), nil
			}
		} else if start.Err() != nil {
			return pending(res, start), nil
		}
		var id int64
		if cfg.Journal != nil {
			var err error
			if id, err = cfg.Journal.Begin(op.Name(), key, place(row), op.Request(row)); err != nil {
				ticket.Cancel()
				return journalFailed(res, err)
			}
		}
		count()
		res.Attempts++
		// The pacer's window log takes the time the request leaves, after
		// the journal's fsync, not the time it was let through.
		ticket.Sent()
		ans := op.Send(flight, row)
		res.Code, res.Message, res.Values = ans.Code, ans.Message, ans.Values
		var (
			wait  time.Duration
			done  bool
			fatal error
		)
		switch ans.Class {
		case batch.ClassOK:
			res.Status, done = batch.StatusOK, true
		case batch.ClassAlreadyDone:
			res.Status, done = batch.StatusYaRegistrado, true
		case batch.ClassRejected:
			res.Status, done = batch.StatusRechazado, true
		case batch.ClassUnexpected:
			res.Status, done = batch.StatusError, true
		case batch.ClassFatal:
			res.Status, done, fatal = batch.StatusPendiente, true, &Stopped{Reason: ans.Message}
		case batch.ClassRateLimited:
			res.Status = batch.StatusPendiente
			if rateLimits++; rateLimits >= p.MaxRateLimited {
				res, done = exhausted(res), true
			}
			wait = max(ans.RetryAfter, p.backoff(1))
		default: // transient
			res.Status = batch.StatusPendiente
			if transient++; transient >= p.MaxAttempts {
				res, done = exhausted(res), true
			}
			wait = p.backoff(transient)
		}
		if cfg.Journal != nil {
			if err := cfg.Journal.End(id, op.Name(), key, ans, res); err != nil {
				return journalFailed(res, err)
			}
		}
		if done {
			return res, fatal
		}
		if sleep(start, wait) != nil {
			return pending(res, start), nil
		}
	}
}

// journalFailed stops the run: without the journal the tool cannot promise
// that nothing is sent twice.
func journalFailed(res batch.Result, err error) (batch.Result, error) {
	res.Status = batch.StatusPendiente
	res.Code = "DIARIO"
	res.Message = err.Error()
	return res, &Stopped{Reason: err.Error()}
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
