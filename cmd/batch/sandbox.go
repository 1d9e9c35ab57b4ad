package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"batch/internal/options"
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
	var slowTenedor time.Duration
	options.Duration(fs, &slowTenedor, "latencia-tenedor", 0, "demora de cada consulta de legítimo tenedor (en Afacturar, unos 60 s)")
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
	cfg := sandbox.Config{Tokens: map[string]string{*token: *obligado}, RatePerMinute: *rpm, Facturadores: map[string]string{*nit: *clave}, TenedorLatency: slowTenedor}
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
