// Package transport holds what both providers' clients share about HTTP:
// the client itself, the exchange (User-Agent, bounded body, Retry-After)
// and how a failed exchange is classified.
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"batch"
)

// NewHTTPClient returns a client whose timeout covers a provider's own wait
// for DIAN, and whose transport keeps enough connections to the host for
// every request that may be in flight. TLS certificates are always
// verified. Redirects are never followed: a request carries a token or a
// clave, and a redirect would carry it to wherever the answer points.
func NewHTTPClient(timeout time.Duration, inFlight int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = inFlight + 8
	t.MaxIdleConnsPerHost = inFlight + 8
	t.MaxConnsPerHost = 0
	return &http.Client{Transport: t, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// Reply is an exchange that got an answer.
type Reply struct {
	Status     int
	Header     http.Header
	Body       []byte
	RetryAfter time.Duration // the answer's Retry-After, in either form
}

// Do sends req as batch, reads at most maxBody bytes of the answer, and
// reports an exchange that got no whole answer as a classified Answer
// (ok=false). Such an answer is Unsure once the request was written: the
// provider may have acted on it. One that never finished leaving (a
// refused connection, a name not found, a certificate refused) is not.
func Do(ctx context.Context, c *http.Client, req *http.Request, maxBody int64, service batch.Service) (Reply, batch.Answer, bool) {
	var (
		reply Reply
		whole bool
	)
	ans := Stream(ctx, c, req, service, func(status int, h http.Header, body io.Reader) batch.Answer {
		b, err := io.ReadAll(io.LimitReader(body, maxBody+1))
		switch {
		case err != nil: // Stream words the break
		case int64(len(b)) > maxBody:
			return batch.Answer{Class: batch.ClassUnexpected, Code: "HTTP " + strconv.Itoa(status), Unsure: true,
				Message: fmt.Sprintf("la respuesta de %s pasa de %s y no se leyó", service, size(maxBody))}
		default:
			reply, whole = Reply{Status: status, Header: h, Body: b, RetryAfter: RetryAfter(h.Get("Retry-After"))}, true
		}
		return batch.Answer{}
	})
	if !whole {
		return Reply{}, ans, false
	}
	return reply, batch.Answer{}, true
}

// Stream sends req as Do does and hands the answer to read as it arrives,
// for an answer too large to hold: read gets the status, the header and
// the body. A body that breaks off (the connection cut, the time up) is
// an Unsure exchange whatever read made of it.
func Stream(ctx context.Context, c *http.Client, req *http.Request, service batch.Service, read func(status int, h http.Header, body io.Reader) batch.Answer) batch.Answer {
	req.Header.Set("User-Agent", "batch/"+batch.Version)
	var wrote atomic.Bool
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	}))
	resp, err := c.Do(req)
	if err != nil {
		a := Failed(ctx, err, service)
		a.Unsure = wrote.Load()
		return a
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return redirected(resp, service)
	}
	body := &counting{r: resp.Body}
	ans := read(resp.StatusCode, resp.Header, body)
	if body.err != nil {
		a := Failed(ctx, body.err, service)
		a.HTTPStatus, a.Unsure = resp.StatusCode, true
		var netErr net.Error
		switch {
		case ctx.Err() != nil:
		case errors.As(body.err, &netErr) && netErr.Timeout():
			a.Message = fmt.Sprintf("%s no terminó de responder a tiempo (HTTP %d, %d bytes recibidos)", service, resp.StatusCode, body.n)
		default:
			a.Message = fmt.Sprintf("se perdió la conexión con %s a mitad de la respuesta (HTTP %d, %d bytes recibidos)", service, resp.StatusCode, body.n)
		}
		return a
	}
	ans.HTTPStatus = resp.StatusCode
	return ans
}

// counting is a body that counts what it gave and keeps the first error
// other than its end.
type counting struct {
	r   io.Reader
	n   int64
	err error
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// BadAddress is the answer to a request that could not even be built from
// the service's address.
func BadAddress(service batch.Service, url string) batch.Answer {
	return batch.Answer{Class: batch.ClassFatal, Kind: batch.KindAddress,
		Message: "la dirección de " + string(service) + " «" + url + "» no es válida"}
}

// redirected is the answer to a redirect, which is not followed: the
// address is not the service's. The Location is named without what could
// carry a secret (user, query, fragment).
func redirected(resp *http.Response, service batch.Service) batch.Answer {
	where := "otra dirección"
	if loc, err := resp.Location(); err == nil {
		where = "«" + loc.Scheme + "://" + loc.Host + loc.EscapedPath() + "»"
	}
	return batch.Answer{Class: batch.ClassFatal, Kind: batch.KindAddress, HTTPStatus: resp.StatusCode, Code: strconv.Itoa(resp.StatusCode),
		Message: fmt.Sprintf("la dirección de %s responde con una redirección (HTTP %d) a %s, que batch no sigue: los datos y las credenciales solo van a la dirección configurada", service, resp.StatusCode, where)}
}

// Secure reports whether credentials may be sent to address: over https,
// or over plain http only to this machine (tests, a local proxy).
func Secure(address string) bool {
	u, err := url.Parse(address)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http" && Loopback(address))
}

// Loopback reports whether an address is on this machine.
func Loopback(address string) bool {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// maxRetryAfter bounds a Retry-After, in seconds or as a date: a week.
const maxRetryAfter = 7 * 24 * 3600

// RetryAfter reads a Retry-After header: seconds, or an HTTP date.
func RetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		// A week is more than any wait batch honours, and keeps the
		// product from overflowing.
		return time.Duration(min(s, maxRetryAfter)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, maxRetryAfter*time.Second)
		}
	}
	return 0
}

// Failed classifies an exchange that got no answer. The request may have
// reached the provider, so it is transient (a resend may meet "already
// registered"), except a certificate that does not verify or a host that
// does not exist, which no retry mends. The error's text is not shown as
// is: the person needs the cause, not Go's wording.
func Failed(ctx context.Context, err error, service batch.Service) batch.Answer {
	a := batch.Answer{Class: batch.ClassTransient, Code: batch.CodeRed}
	var (
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		dnsErr  *net.DNSError
	)
	name := string(service)
	switch {
	case ctx.Err() != nil:
		a.Message = "la ejecución se detuvo antes de recibir la respuesta"
	case errors.As(err, &certErr):
		a.Class, a.Code, a.Kind = batch.ClassFatal, batch.CodeTLS, batch.KindTLS
		a.Message = "el certificado de " + name + " no es válido; la conexión no es segura y no se envía nada"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		a.Class, a.Kind = batch.ClassFatal, batch.KindAddress
		a.Message = "no se encontró el servidor " + dnsErr.Name + " de " + name
	case errors.As(err, &netErr) && netErr.Timeout():
		a.Message = name + " no respondió a tiempo"
	default:
		a.Message = "se perdió la conexión con " + name
	}
	return a
}

// size says a number of bytes as a person reads it.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
