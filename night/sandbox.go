package night

import (
	"math/rand/v2"
	"time"

	"batch/sandbox"
)

// startSandbox serves the simulated providers on a loopback port for the
// length of the run, with the latency of a calm day.
func startSandbox(token, obligado, nit, clave string) (string, func(), error) {
	return sandbox.Start(sandbox.Config{
		Tokens:       map[string]string{token: obligado},
		Facturadores: map[string]string{nit: clave},
		Latency:      func() time.Duration { return 200*time.Millisecond + rand.N(600*time.Millisecond) },
	})
}
