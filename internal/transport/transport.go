// Package transport holds what both providers' clients share about HTTP:
// the client itself and how a failed exchange is classified.
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"

	"batch"
)

// NewHTTPClient returns a client whose timeout covers a provider's own wait
// for DIAN, and whose transport keeps enough connections to the host for
// every request that may be in flight. TLS certificates are always
// verified.
func NewHTTPClient(timeout time.Duration, inFlight int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = inFlight + 8
	t.MaxIdleConnsPerHost = inFlight + 8
	t.MaxConnsPerHost = 0
	return &http.Client{Transport: t, Timeout: timeout}
}

// Failed classifies an exchange that got no answer. The request may have
// reached the provider, so it is transient (a resend may meet "already
// registered"), except a certificate that does not verify or a host that
// does not exist, which no retry mends. The error's text is not shown as
// is: the person needs the cause, not Go's wording. service names the
// provider in the message and flag the option that sets its address.
func Failed(ctx context.Context, err error, service, flag string) batch.Answer {
	a := batch.Answer{Class: batch.ClassTransient, Code: "RED"}
	var (
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		dnsErr  *net.DNSError
	)
	switch {
	case ctx.Err() != nil:
		a.Message = "la ejecución se detuvo antes de recibir la respuesta"
	case errors.As(err, &certErr):
		a.Class, a.Code = batch.ClassFatal, "TLS"
		a.Message = "el certificado de " + service + " no es válido; la conexión no es segura y no se envía nada"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		a.Class = batch.ClassFatal
		a.Message = "no se encontró el servidor " + dnsErr.Name + ": revise " + flag
	case errors.As(err, &netErr) && netErr.Timeout():
		a.Message = service + " no respondió a tiempo"
	default:
		a.Message = "se perdió la conexión con " + service
	}
	return a
}
