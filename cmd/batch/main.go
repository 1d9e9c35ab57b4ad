// Command batch sends every row of an invoice spreadsheet to the electronic
// invoicing provider and writes a result workbook. See `batch --help`.
package main

import (
	"fmt"
	"io"
	"os"

	"batch"
	"batch/internal/text"
)

func main() {
	cleanup := privateTemp()
	beforeExit = cleanup
	stop := profile()
	code := Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	cleanup()
	os.Exit(code)
}

// beforeExit runs before the process ends at once (a second signal).
var beforeExit = func() {}

// privateTemp gives the process a temporary folder of its own, for every
// temporary file it and its libraries make (excelize's copies of large
// sheets, the sandbox's journal), and removes it however the process ends
// short of being killed.
func privateTemp() (cleanup func()) {
	dir, err := os.MkdirTemp("", "batch-")
	if err != nil {
		return func() {}
	}
	for _, v := range []string{"TMPDIR", "TMP", "TEMP"} {
		os.Setenv(v, dir)
	}
	return func() { os.RemoveAll(dir) }
}

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

// Main runs the command line and returns the exit code.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitNothing
	}
	knownSecrets(getenv)
	switch args[0] {
	case "run":
		return runCmd(args[1:], getenv, stdout, stderr)
	case "check":
		return checkCmd(args[1:], getenv, stdout, stderr)
	case "sandbox":
		return sandboxCmd(args[1:], stdout, stderr)
	case "config":
		return configCmd(args[1:], getenv, stdout, stderr)
	case "historial":
		return historialCmd(args[1:], getenv, stdout, stderr)
	case "pendientes":
		return pendientesCmd(args[1:], getenv, stdout, stderr)
	case "journal":
		return journalCmd(args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "batch %s\n", batch.Version)
		if batch.Commit != "" {
			fmt.Fprintf(stdout, "commit %s del %s\n", batch.Commit, batch.Date)
		}
		return exitOK
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "batch: orden desconocida %q%s. Las órdenes son run, check, config, historial, pendientes, journal, sandbox y version (batch --help)\n", args[0],
		text.DidYouMean(args[0], []string{"run", "check", "config", "historial", "pendientes", "journal", "sandbox", "version"}, ""))
	return exitNothing
}
