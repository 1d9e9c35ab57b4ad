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
		p.MaxAttempts = 5
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

// attempt sends one row until it gets a final answer, the budget runs out,
// or the run stops. start ends when no new attempt may begin; flight is the
// context of the request itself. The error is non-nil only for an answer
// that must stop the whole run.
func attempt(start, flight context.Context, op Op, row batch.Row, p RetryPolicy, count func()) (batch.Result, error) {
	var (
		res                   batch.Result
		transient, rateLimits int
	)
	for {
		if op.Pacer != nil {
			if err := op.Pacer.Wait(start); err != nil {
				return pending(res, start), nil
			}
		} else if start.Err() != nil {
			return pending(res, start), nil
		}
		count()
		res.Attempts++
		ans := op.Send(flight, row)
		res.Code, res.Message, res.Values = ans.Code, ans.Message, ans.Values
		var wait time.Duration
		switch ans.Class {
		case batch.ClassOK:
			res.Status = batch.StatusOK
			return res, nil
		case batch.ClassAlreadyDone:
			res.Status = batch.StatusYaRegistrado
			return res, nil
		case batch.ClassRejected:
			res.Status = batch.StatusRechazado
			return res, nil
		case batch.ClassUnexpected:
			res.Status = batch.StatusError
			return res, nil
		case batch.ClassFatal:
			res.Status = batch.StatusPendiente
			return res, &Stopped{Reason: ans.Message}
		case batch.ClassRateLimited:
			rateLimits++
			if rateLimits >= p.MaxRateLimited {
				return exhausted(res), nil
			}
			wait = max(ans.RetryAfter, p.backoff(1))
		default: // transient
			transient++
			if transient >= p.MaxAttempts {
				return exhausted(res), nil
			}
			wait = p.backoff(transient)
		}
		if sleep(start, wait) != nil {
			return pending(res, start), nil
		}
	}
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
		r := notSent(start)
		return r
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
