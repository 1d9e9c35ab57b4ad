package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"batch"
	"batch/internal/secret"
	"batch/internal/text"
	"batch/night"
)

// fail prints what went wrong, in the command line's words, and returns
// the exit code of a run that could do nothing.
func fail(stderr io.Writer, err error) int { return failAs(stderr, err, single) }

// failAs is fail in the words n gives.
func failAs(stderr io.Writer, err error, n *names) int {
	fmt.Fprintf(stderr, "batch: %s\n", text.Printable(explain(err, n)))
	return exitNothing
}

// failNight prints why a night could not start, in the words of the
// company concerned when it is one's, and returns exitNothing.
func failNight(stderr io.Writer, err error, words map[string]*names) int {
	if ce := (*night.CompanyError)(nil); errors.As(err, &ce) && words[ce.Company.NIT] != nil {
		fmt.Fprintf(stderr, "batch: %s\n", text.Printable(explain(err, words[ce.Company.NIT])))
		return exitNothing
	}
	return fail(stderr, err)
}

// secretVars are the variables that hold secrets, the token first.
var secretVars = []string{"AFACTURAR_TOKEN", "SSINTEGRAL_CLAVE", "BATCH_CLAVE_ARCHIVO"}

// know makes the values of the environment's secret variables known,
// and those of the variables named.
func know(k *secret.Known, getenv func(string) string, names ...string) {
	for _, n := range append(slices.Clone(secretVars), names...) {
		k.Add(getenv(n))
	}
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
	// where is the file and line that set a setting, "" when none did.
	where func(setting string) string
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
	{batch.KindJournalLost, "", ". Si lo movió, devuélvalo; si se perdió, restaure una copia con batch journal --restaurar COPIA; solo para empezar de cero, sabiendo que se reenviará lo que ese diario tenía por enviado, use --diario-nuevo", ""},
	{batch.KindJournalDamaged, "", ". Restaure una copia con batch journal --restaurar COPIA (el diario dañado queda aparte)", ""},
	{batch.KindSetting, "", " (opción --{opcion}, o {ajuste} en {archivo})", " ({ajuste} de {empresa} en {archivo})"},
}

// settingFlag is the option of a setting of the configuration file:
// "persona.nombres" is --nombres.
func settingFlag(setting string) string {
	table, key, found := strings.Cut(strings.ReplaceAll(setting, "_", "-"), ".")
	if !found {
		return table
	}
	if i := slices.IndexFunc(batch.Providers(), func(p batch.Provider) bool { return p.Table == table }); i >= 0 {
		return batch.Providers()[i].Option(key)
	}
	return key
}

// settingKey is where a setting is in the configuration file, for the
// whole night or in a company's table.
func settingKey(setting string, company bool) string {
	table, name, found := strings.Cut(setting, ".")
	switch {
	case !found:
		return setting
	case company:
		return name + " de [obligados." + table + "]"
	default:
		return name + " de [" + table + "]"
	}
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
		file := "el archivo de configuración"
		if n.where != nil && n.where(e.Setting) != "" {
			file = n.where(e.Setting)
		}
		return strings.NewReplacer("{archivo}", file, "{token}", n.token, "{clave}", n.clave, "{empresa}", n.company,
			"{servicio}", string(e.Service), "{op}", e.Op, "{opcion}", settingFlag(e.Setting), "{ajuste}", settingKey(e.Setting, n.company != "")).Replace(text)
	}
	return ""
}
