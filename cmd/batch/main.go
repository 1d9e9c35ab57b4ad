// Command batch sends every row of an invoice spreadsheet to the electronic
// invoicing provider and writes a result workbook. See `batch --help`.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"batch"
	"batch/internal/process"
	"batch/internal/text"
)

func main() {
	cleanup := process.PrivateTemp()
	beforeExit = cleanup
	stop := process.Profile()
	code := Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	cleanup()
	os.Exit(code)
}

// beforeExit runs before the process ends at once (a second signal).
var beforeExit = func() {}

// Exit codes.
const (
	exitOK       = 0 // every row OK or YA_REGISTRADO
	exitSomeRows = 1 // some row needs attention, or the run was interrupted
	exitNothing  = 2 // nothing could be done: bad flags, unreadable input, refused token
)

const usage = `batch: envía cada fila de una hoja de facturas a Afacturar y escribe un
libro de resultados con el CUDE, el estado y los errores de cada fila.

Uso:
  batch run [opciones] ARCHIVO...    procesa archivos .xlsx o .csv
  batch check [opciones] ARCHIVO...  revisa los archivos sin enviar nada
  batch config [opciones]            la configuración efectiva y de dónde sale cada valor
  batch historial CLAVE...           todo lo del diario sobre un CUFE, CUV o factura
  batch pendientes [-o LIBRO.xlsx]   lo que quedó necesitando atención, por obligado
  batch journal --asignar-ambiente AMBIENTE   el ambiente de lo que un diario anterior guardó
  batch sandbox [opciones]           sirve un Afacturar simulado para pruebas
  batch version                      muestra la versión

Ejemplos:
  # Revisar un archivo antes de enviarlo (no necesita token):
  batch check recibidas.xlsx

  # Probar sin credenciales, contra el simulador incorporado:
  batch run --sandbox samples/facturas-recibidas.xlsx

  # Acuse de recibo real en el ambiente de pruebas de la DIAN:
  export AFACTURAR_TOKEN=...   AFACTURAR_OBLIGADO=900123456
  batch run --nombres "Ana María" --apellidos "Gómez Ruiz" \
            --tipo-identificacion 13 --identificacion 52123456 recibidas.xlsx

  # En producción, con el libro de resultados en otra carpeta:
  batch run --ambiente produccion -o /srv/informes/acuses.xlsx recibidas.csv

Use "batch run --help" para ver todas las opciones.
`

// commands are batch's commands, in the order the help lists them: each
// reads its arguments and the environment, and returns the exit code.
var commands = []struct {
	name string
	run  func(args []string, getenv func(string) string, stdout, stderr io.Writer) int
}{{"run", runCmd}, {"check", checkCmd}, {"config", configCmd}, {"historial", historialCmd},
	{"pendientes", pendientesCmd}, {"journal", journalCmd}, {"sandbox", sandboxCmd}, {"version", versionCmd}}

// Main runs the command line and returns the exit code.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitNothing
	}
	knownSecrets(getenv)
	var names []string
	for _, c := range commands {
		if args[0] == c.name || (c.name == "version" && strings.TrimLeft(args[0], "-") == c.name) {
			return c.run(args[1:], getenv, stdout, stderr)
		}
		names = append(names, c.name)
	}
	switch args[0] {
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "batch: orden desconocida %q%s. Las órdenes son %s y version (batch --help)\n", args[0],
		text.DidYouMean(args[0], names, ""), strings.Join(names[:len(names)-1], ", "))
	return exitNothing
}

// versionCmd prints the build's version and commit.
func versionCmd(_ []string, _ func(string) string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "batch %s\n", batch.Version)
	if batch.Commit != "" {
		fmt.Fprintf(stdout, "commit %s del %s\n", batch.Commit, batch.Date)
	}
	return exitOK
}
