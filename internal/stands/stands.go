// Package stands serves, for a test, the providers on loopback: the
// simulator, and stand-ins written apart from the clients (an Afacturar,
// an .asmx EnvioCorreo) that answer as the providers were seen to.
package stands

import (
	"net/http/httptest"
	"testing"

	"batch/sandbox"
)

// Sandbox serves the simulated providers for the test on loopback; a
// configuration that names no token takes token, for 900123456.
func Sandbox(t *testing.T, cfg sandbox.Config, token string) (*sandbox.Server, string) {
	t.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = map[string]string{token: "900123456"}
	}
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv.URL
}
