package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"batch"
	"batch/internal/options"
	"batch/night"
	"batch/sandbox"
)

func sandboxCmd(args []string, _ func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "dirección donde escuchar")
	token := fs.String("token", sandbox.DefaultToken, "token que acepta")
	obligado := fs.String("obligado", sandbox.DefaultObligado, "NIT del obligado asociado al token")
	nit := fs.String("nit", sandbox.DefaultNIT, "NIT del facturador que acepta el SS Integral simulado")
	clave := fs.String("clave", sandbox.DefaultClave, "clave de ese facturador")
	rpm := fs.Int("rate", 120, "solicitudes por minuto por token antes de responder 429 (negativo: sin límite)")
	var latency time.Duration
	options.Duration(fs, &latency, "latencia", 0, "demora de cada respuesta")
	chaos := fs.Bool("caos", false, "responder una de cada cinco solicitudes a Afacturar con una falla de las que muestran sus documentos (5xx, 28, 20, 15, 403, 409, 422, 429, conexión cortada), para probar a mano")
	help := func() {
		fmt.Fprint(stderr, help("sandbox"))
		options.Print(stderr, fs, isSecret)
	}
	rest, err := options.Parse(fs, args, help)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		return fail(stderr, err)
	case len(rest) > 0:
		return fail(stderr, fmt.Errorf("batch sandbox no recibe archivos (%s)", strings.Join(rest, " ")))
	}
	cfg := sandbox.Config{Tokens: map[string]string{*token: *obligado}, RatePerMinute: *rpm, Facturadores: map[string]string{*nit: *clave}}
	if *chaos {
		cfg.Chaos = 0.2
	}
	if latency > 0 {
		cfg.Latency = func() time.Duration { return latency }
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, fmt.Errorf("no se puede escuchar en %s: %v", *addr, err))
	}
	fmt.Fprintf(stdout, "Sandbox de Afacturar en http://%s (token %q, obligado %s) y de SS Integral en http://%s%s (NIT %s). Ctrl+C para terminar.\n",
		ln.Addr(), *token, *obligado, ln.Addr(), sandbox.SOAPPath, *nit)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := sandbox.Serve(ctx, ln, cfg); err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

// rehearse starts the simulated providers for a --sandbox run that sends
// on this machine, with the latency of a calm day, and points the settings
// (and each company of a night) at them with the simulator's own
// credentials: nothing leaves this machine and no real secret is used.
// Any other run is left as it is.
func rehearse(s *night.Settings, companies []night.Company) (stop func(), err error) {
	if !s.Sandbox || s.DryRun {
		return func() {}, nil
	}
	cfg := sandbox.Config{Tokens: map[string]string{}, Facturadores: map[string]string{},
		Latency: func() time.Duration { return 200*time.Millisecond + rand.N(600*time.Millisecond) }}
	s.Obligado, s.Facturador.NIT = cmp.Or(s.Obligado, sandbox.DefaultObligado), cmp.Or(s.Facturador.NIT, sandbox.DefaultNIT)
	s.Token, s.Facturador.Clave = sandbox.DefaultToken, sandbox.DefaultClave
	cfg.Tokens[s.Token], cfg.Facturadores[s.Facturador.NIT] = s.Obligado, s.Facturador.Clave
	for i := range companies {
		c := &companies[i]
		c.Token = sandbox.DefaultToken + "-" + c.NIT
		cfg.Tokens[c.Token] = c.NIT
		if c.Facturador.NIT != "" {
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
