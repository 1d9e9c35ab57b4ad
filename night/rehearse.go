package night

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"batch"
	"batch/journal"
	"batch/ops"
	"batch/sandbox"
)

// Rehearse starts the simulated providers for a --sandbox run that sends
// on this machine, with the latency of a calm day, and points the settings
// (and each company of a night) at them: nothing leaves this machine and
// no real secret is sent anywhere. A company of a night still needs the
// variables a real night reads, and is stopped as a real night would be
// without one; a single run, a demonstration, takes the simulator's own
// credentials. The simulator remembers what earlier runs over the same
// journal registered in it, as the provider would. Any other run is left
// as it is.
func Rehearse(s *Settings, companies []Company) (stop func(), err error) {
	if !s.Sandbox || s.DryRun {
		return func() {}, nil
	}
	cfg := sandbox.Config{Tokens: map[string]string{}, Facturadores: map[string]string{},
		Latency: func() time.Duration { return 200*time.Millisecond + rand.N(600*time.Millisecond) }}
	if cfg.Registered, err = registered(s.Journal); err != nil {
		return nil, err
	}
	s.Obligado, s.Facturador.NIT = cmp.Or(s.Obligado, sandbox.DefaultObligado), cmp.Or(s.Facturador.NIT, sandbox.DefaultNIT)
	s.Token, s.Facturador.Clave = sandbox.DefaultToken, sandbox.DefaultClave
	cfg.Tokens[s.Token], cfg.Facturadores[s.Facturador.NIT] = s.Obligado, s.Facturador.Clave
	for i := range companies {
		c := &companies[i]
		if c.Token != "" {
			c.Token = sandbox.DefaultToken + "-" + c.NIT
			cfg.Tokens[c.Token] = c.NIT
		}
		if c.Facturador.NIT != "" && c.Facturador.Clave != "" {
			c.Facturador.Clave, cfg.Facturadores[c.Facturador.NIT] = sandbox.DefaultClave, sandbox.DefaultClave
		}
	}
	url, stop, err := sandbox.Start(cfg)
	if err != nil {
		return nil, fmt.Errorf("no se pudo iniciar el sandbox: %w", err)
	}
	s.Reach[batch.ServiceAfacturar].URL, s.Reach[batch.ServiceSSIntegral].URL = url, url+sandbox.SOAPPath
	return stop, nil
}

// registered are the events the sandbox registered in earlier runs over
// the journal at place; none when the run keeps no journal of its own.
func registered(place JournalPlace) ([]sandbox.Registration, error) {
	path, temporary, err := JournalPath(place, true, false)
	if err != nil || temporary {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	j, err := journal.OpenReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	done, err := j.Done(journal.Sandbox, []string{batch.OpAcuse, batch.OpRecibo, batch.OpReclamo})
	if err != nil {
		return nil, err
	}
	out := make([]sandbox.Registration, 0, len(done))
	for _, d := range done {
		code, _ := ops.EventCode(d.Operation)
		out = append(out, sandbox.Registration{Codigo: code, Obligado: d.Party, CUFE: d.Key, CUDE: d.CUDE})
	}
	return out, nil
}
