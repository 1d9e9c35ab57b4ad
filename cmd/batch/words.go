package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"batch"
	"batch/internal/secret"
	"batch/internal/text"
)

// fail prints what went wrong, in the command line's words, and returns
// the exit code of a run that could do nothing.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "batch: %s\n", terminalSafe(explain(err, single)))
	return exitNothing
}

// terminalSafe is text for the log: without control characters, and with
// every secret the command line knows masked (the tokens, the claves, a
// workbook's password), whatever a file or an answer quotes.
func terminalSafe(s string) string { return text.Printable(hidden.Text(s)) }

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
func explain(err error, n *names) string {
	var be *batch.Error
	if errors.As(err, &be) {
		return err.Error() + n.hint(be)
	}
	return err.Error()
}

// names are what a run's messages call the variables a person sets: the
// tool's own in a single run, a company's own in a night of several.
type names struct {
	company      string // "" in a single run
	token, clave string // the variables of the Afacturar token and the SS Integral clave
}

// single are a single run's names.
var single = &names{token: "AFACTURAR_TOKEN", clave: "SSINTEGRAL_CLAVE"}

// hints say what to change for each kind of problem, by service ("" for
// any): in a single run, and, where it differs, for a company of a night.
var hints = []struct {
	kind            batch.Kind
	service         batch.Service
	single, company string
}{
	{batch.KindNoSecret, batch.ServiceSSIntegral, ": defina la variable de entorno {clave} (o use --sandbox para probar)", ": defina la variable de entorno {clave} (la clave de SS Integral de {empresa})"},
	{batch.KindNoSecret, batch.ServiceAfacturar, ": defina la variable de entorno {token} (o use --sandbox para probar)", ": defina la variable de entorno {token} (token_env de {empresa})"},
	{batch.KindNoParty, batch.ServiceSSIntegral, ": use --ssintegral-nit o la variable SSINTEGRAL_NIT", ""},
	{batch.KindNoParty, batch.ServiceAfacturar, ": use --obligado o la variable AFACTURAR_OBLIGADO", ""},
	{batch.KindNoAddress, "", ". Use --url con la que le haya dado {servicio}, o deje la operación {op} fuera con --ops", ""},
	{batch.KindOutput, "", " (opción -o)", ""},
	{batch.KindCredentials, batch.ServiceSSIntegral, ": revise el NIT (--ssintegral-nit o SSINTEGRAL_NIT) y la clave (variable {clave})", ": revise el nit de [obligados.ssintegral] de {empresa} y la clave en la variable {clave}"},
	{batch.KindCredentials, batch.ServiceAfacturar, ": revise la variable {token} y que el token corresponda al obligado (--obligado o AFACTURAR_OBLIGADO)", ": revise la variable {token} (token_env de {empresa}) y que su token sea el de ese obligado"},
	{batch.KindAddress, batch.ServiceSSIntegral, ": revise --soap-url y --soap12", ""},
	{batch.KindAddress, batch.ServiceAfacturar, ": revise --url y --ambiente", ""},
	{batch.KindPassword, "", ": dela con --clave-archivo (o la variable BATCH_CLAVE_ARCHIVO)", ""},
	{batch.KindBusy, "", ". Espere a que termine, o use --esperar DURACION para esperarla y enviar luego solo lo que quede", ""},
	{batch.KindJournal, "", ": defina HOME o use --journal", ""},
}

// hint names what to change for a kind of problem with a service.
func (n *names) hint(e *batch.Error) string {
	service := e.Service
	if service == "" {
		service = batch.ServiceAfacturar
	}
	for _, h := range hints {
		if h.kind != e.Kind || (h.service != "" && h.service != service) {
			continue
		}
		text := h.single
		if n.company != "" && h.company != "" {
			text = h.company
		}
		return strings.NewReplacer("{token}", n.token, "{clave}", n.clave, "{empresa}", n.company,
			"{servicio}", string(e.Service), "{op}", e.Op).Replace(text)
	}
	return ""
}
