package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"batch"
)

// reuse answers a key from the journal when an earlier run left it final.
func reuse(cfg Config, op Op, key string) (batch.Result, bool, error) {
	if f, ok := op.Operation.(Fresh); cfg.Journal == nil || (ok && f.Fresh()) || cfg.Resend[ResendKey(key)] {
		return batch.Result{}, false, nil
	}
	res, at, found, err := cfg.Journal.Recorded(op.Name(), key)
	if err != nil || !found {
		return batch.Result{}, false, err
	}
	if f, ok := op.Operation.(FreshFor); ok && time.Since(at) > f.FreshFor() {
		return batch.Result{}, false, nil // an earlier night's: asked again
	}
	if op.AtMostOnce && (res.Status == batch.StatusEnVuelo || res.Status == batch.StatusRevisar) {
		return heldBack(res, at, key), true, nil
	}
	if !res.Status.Final() {
		return batch.Result{}, false, nil
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

// heldBack is the result of a key that an earlier run may have sent, without
// knowing: it is not sent again unless a person names it.
func heldBack(res batch.Result, at time.Time, key string) batch.Result {
	when := at.Local().Format("2006-01-02 15:04")
	msg := joinMsg("un intento del "+when+" quedó sin respuesta", unsure(key))
	if res.Status == batch.StatusRevisar {
		msg = "resultado de una ejecución anterior (" + when + "): " + res.Message
	}
	return batch.Result{Status: batch.StatusRevisar, Code: batch.CodeIncierto, Values: res.Values,
		Message: msg + "; no se envió de nuevo"}
}

// unsure is what a person is told of a key that may have been sent.
func unsure(key string) string {
	return "puede haberse enviado: confirme con el cliente antes de reenviar " + key
}

// wouldSend is a dry run's result for a key a run would send.
var wouldSend = batch.Result{Status: batch.StatusPendiente, Code: batch.CodeSinEnviar, Message: "se enviaría (simulación: no se envió nada)"}

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

// overLimit is the result of a key past the run's limit of requests.
func overLimit(limit int) batch.Result {
	return batch.Result{Status: batch.StatusPendiente, Code: batch.CodeLimite,
		Message: fmt.Sprintf("no se envió: la ejecución tenía un límite de %d solicitudes; la próxima ejecución la envía", limit)}
}

// notSent is the result of a row whose request was never started because
// the run stopped.
func notSent(start context.Context) batch.Result {
	var stopped *Stopped
	if cause := context.Cause(start); errors.As(cause, &stopped) {
		return stoppedBy(stopped)
	}
	return batch.Result{Status: batch.StatusPendiente, Code: batch.CodeNoEnviado, Message: "no se envió: la ejecución se detuvo"}
}

// stoppedBy is the result of a row not sent because a refusal stopped its
// service or the run.
func stoppedBy(s *Stopped) batch.Result {
	return batch.Result{Status: batch.StatusPendiente, Code: batch.CodeNoEnviado, Message: "no se envió: la ejecución se detuvo (" + s.Reason + ")"}
}

func joinMsg(a, b string) string {
	if a == "" {
		return b
	}
	return a + " — " + b
}
