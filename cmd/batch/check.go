package main

import "io"

const checkUsage = `Uso: batch check [opciones] ARCHIVO...

Lee y revisa cada ARCHIVO como lo haría batch run, sin enviar nada: escribe
el libro de revisión (NOMBRE-revision.xlsx) con lo que se enviaría, las filas
inválidas y las repetidas, y dice cuántas solicitudes haría la ejecución y
cuánto tardaría. No necesita el token.

Ejemplos:
  batch check recibidas.xlsx
  batch check --obligado 900123456 recibidas.csv   # también consulta el diario
  batch check -o revision-noviembre.xlsx recibidas.xlsx

Opciones: las de batch run (batch run --help).
`

// checkCmd is `batch run --dry-run`.
func checkCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			io.WriteString(stdout, checkUsage)
			return exitOK
		}
	}
	return runCmd(append([]string{"--dry-run"}, args...), getenv, stdout, stderr)
}
