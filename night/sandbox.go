package night

import (
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"batch/sandbox"
)

// startSandbox serves the simulated providers on a loopback port for the
// length of the run, with the latency of a calm day.
func startSandbox(token, obligado, nit, clave string) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	sb := sandbox.New(sandbox.Config{
		Tokens:       map[string]string{token: obligado},
		Facturadores: map[string]string{nit: clave},
		Latency:      func() time.Duration { return 200*time.Millisecond + rand.N(600*time.Millisecond) },
	})
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
