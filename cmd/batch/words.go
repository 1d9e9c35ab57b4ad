package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"batch"
	"batch/internal/secret"
)

// fail prints what went wrong, in the command line's words, and returns
// the exit code of a run that could do nothing.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "batch: %s\n", terminalSafe(explain(err)))
	return exitNothing
}

// terminalSafe drops the control characters of text that may quote a
// file (a header, a sheet's name), so that it cannot move the cursor,
// rewrite the screen or ring the terminal of whoever reads the log.
// It also masks every secret the command line knows (the tokens, the
// claves, a workbook's password): whatever a file or an answer quotes,
// none reaches the log.
func terminalSafe(s string) string {
	s = hidden.Text(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
}

// hidden masks the secrets of this process's environment, and of each
// company's variables once the configuration names them.
var hidden = secret.New()

// knownSecrets makes hidden mask the secrets of the environment and of
// the variables named.
func knownSecrets(getenv func(string) string, names ...string) {
	values := []string{}
	for _, n := range append([]string{"AFACTURAR_TOKEN", "SSINTEGRAL_CLAVE", "BATCH_CLAVE_ARCHIVO"}, names...) {
		values = append(values, getenv(n))
	}
	hidden = secret.New(values...)
}

// explain is an error's text followed by what to change, named as this
// command line names it: the packages say what kind of problem it is,
// only here does it become a flag or a variable.
func explain(err error) string {
	var be *batch.Error
	if errors.As(err, &be) {
		return err.Error() + hint(be)
	}
	return err.Error()
}

// hint names what to change for a kind of problem with a service.
func hint(e *batch.Error) string {
	kind, ss := e.Kind, e.Service == batch.ServiceSSIntegral
	switch {
	case kind == batch.KindNoSecret && ss:
		return ": defina la variable de entorno SSINTEGRAL_CLAVE (o use --sandbox para probar)"
	case kind == batch.KindNoSecret:
		return ": defina la variable de entorno AFACTURAR_TOKEN (o use --sandbox para probar)"
	case kind == batch.KindNoParty && ss:
		return ": use --ssintegral-nit o la variable SSINTEGRAL_NIT"
	case kind == batch.KindNoParty:
		return ": use --obligado o la variable AFACTURAR_OBLIGADO"
	case kind == batch.KindNoAddress:
		return fmt.Sprintf(". Use --url con la que le haya dado %s, o deje la operación %s fuera con --ops", e.Service, e.Op)
	case kind == batch.KindOutput:
		return " (opción -o)"
	case kind == batch.KindCredentials && ss:
		return ": revise el NIT (--ssintegral-nit o SSINTEGRAL_NIT) y la clave (variable SSINTEGRAL_CLAVE)"
	case kind == batch.KindCredentials:
		return ": revise la variable AFACTURAR_TOKEN y que el token corresponda al obligado (--obligado o AFACTURAR_OBLIGADO)"
	case kind == batch.KindAddress && ss:
		return ": revise --soap-url y --soap12"
	case kind == batch.KindAddress:
		return ": revise --url y --ambiente"
	case kind == batch.KindPassword:
		return ": dela con --clave-archivo (o la variable BATCH_CLAVE_ARCHIVO)"
	case kind == batch.KindBusy:
		return ". Espere a que termine, o use --esperar DURACION para esperarla y enviar luego solo lo que quede"
	case kind == batch.KindJournal:
		return ": defina HOME o use --journal"
	}
	return ""
}
