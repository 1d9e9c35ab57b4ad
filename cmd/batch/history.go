package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"batch"
	"batch/config"
	"batch/internal/options"
	"batch/night"
)

const historialUsage = `Uso: batch historial [--journal ARCHIVO | --config ARCHIVO] CLAVE...

Muestra, para cada CUFE, CUV o factura (PREFIJO NUMERO), todo lo que el
diario sabe de ella en todas las noches: su estado y CUDE por obligado y
operación, y cada intento (fecha, respuesta, código, mensaje). Solo lee el
diario; no envía nada.

Ejemplo:
  batch historial f461119...a4 "SETP 990000001"

Opciones:
`

const pendientesUsage = `Uso: batch pendientes [--journal ARCHIVO | --config ARCHIVO] [-o ARCHIVO.xlsx]

Lista, agrupado por obligado, lo que en todas las noches quedó necesitando a
una persona o a otra ejecución: RECHAZADO, ERROR, PENDIENTE y lo que quedó en
vuelo. Con -o lo escribe además en un libro. Solo lee el diario.

Opciones:
`

// journalFlags parses a journal-reading command's flags: where the
// journal is (--journal, or the journal of the configuration file), and
// the arguments left. code is -1 when the command goes on.
func journalFlags(name, usage string, args []string, getenv func(string) string, stderr io.Writer, define func(*flag.FlagSet)) (night.JournalPlace, []string, int) {
	fs := flag.NewFlagSet("batch "+name, flag.ContinueOnError)
	path := fs.String("journal", "", "el diario; por defecto el del archivo de configuración, o $XDG_STATE_HOME/batch/journal.db, o ~/.local/state/batch/journal.db")
	fs.String("config", "", "archivo de configuración de batch run, para usar su diario")
	if define != nil {
		define(fs)
	}
	rest, err := options.Parse(fs, args, func() { fmt.Fprint(stderr, usage); options.Print(stderr, fs, isSecret) })
	if errors.Is(err, flag.ErrHelp) {
		return night.JournalPlace{}, nil, exitOK
	}
	if err != nil {
		return night.JournalPlace{}, nil, fail(stderr, err)
	}
	if *path == "" {
		if cfg := configPath(args, getenv); cfg != "" {
			file, err := config.Load(cfg)
			if err != nil {
				return night.JournalPlace{}, nil, fail(stderr, err)
			}
			if err := file.MovedJournal(); err != nil {
				return night.JournalPlace{}, nil, fail(stderr, err)
			}
			*path = file.Values["journal"]
		}
	}
	return journalPlace(*path, getenv), rest, -1
}

// historialCmd prints what the journal knows of each key.
func historialCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	place, keys, code := journalFlags("historial", historialUsage, args, getenv, stderr, nil)
	if code >= 0 {
		return code
	}
	if len(keys) == 0 {
		return fail(stderr, errors.New("falta la clave: batch historial CUFE..."))
	}
	normal := make([]string, len(keys))
	for i, k := range keys {
		normal[i] = normalKey(k)
	}
	histories, err := night.History(place, normal)
	if err != nil {
		return fail(stderr, err)
	}
	found := true
	for i, key := range keys {
		entries := histories[i]
		fmt.Fprintf(stdout, "%s\n", terminalSafe(key))
		if len(entries) == 0 {
			fmt.Fprintln(stdout, "  el diario no tiene nada de esta clave")
			found = false
		}
		for _, e := range entries {
			printEntry(stdout, e)
			for _, a := range e.Attempts {
				fmt.Fprintf(stdout, "    %s  %-13s %-8s %s\n", a.Started.Local().Format("2006-01-02 15:04:05"), a.Outcome, a.Code, terminalSafe(a.Message))
			}
		}
	}
	if !found {
		return exitSomeRows
	}
	return exitOK
}

// normalKey is a key as the journal keeps it: a CUFE or CUV (or the
// beginning of one) in lowercase, an invoice (PREFIJO NUMERO) in uppercase.
func normalKey(k string) string {
	k = strings.TrimSpace(k)
	if hexKey.MatchString(k) {
		return strings.ToLower(k)
	}
	return strings.ToUpper(k)
}

var hexKey = regexp.MustCompile(`^[0-9A-Fa-f]+$`)

func printEntry(w io.Writer, e night.Entry) {
	cude := ""
	if v, ok := e.Result.Values["cude"].(string); ok && v != "" {
		cude = ", CUDE " + v
	} else if v, ok := e.Result.Values["cufe"].(string); ok && v != "" {
		cude = ", CUFE " + v
	}
	fmt.Fprintf(w, "  %s · %s de %s: %s%s (%d intentos; %s; %s)\n", e.Ambiente, e.Operation, e.Party, e.Result.Status, cude, e.Result.Attempts,
		e.Updated.Local().Format("2006-01-02 15:04"), terminalSafe(e.Source))
}

// pendientesCmd lists what needs a person across all nights.
func pendientesCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var out string
	place, _, code := journalFlags("pendientes", pendientesUsage, args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "libro .xlsx donde escribir la lista")
	})
	if code >= 0 {
		return code
	}
	entries, runs, err := night.Pending(place)
	if err != nil {
		return fail(stderr, err)
	}
	for _, r := range runs {
		fmt.Fprintf(stdout, "%s (%s): la noche del %s no terminó bien (código %d): %s\n", terminalSafe(r.Party), r.Ambiente,
			r.Ended.Local().Format("2006-01-02 15:04"), r.Verdict, terminalSafe(r.Problem))
	}
	party := ""
	for _, e := range entries {
		if e.Party != party {
			party = e.Party
			fmt.Fprintf(stdout, "%s\n", terminalSafe(party))
		}
		msg := e.Result.Message
		if e.Result.Status == batch.StatusPendiente && e.Result.Code != "" {
			msg = "(" + e.Result.Code + ") " + msg
		}
		fmt.Fprintf(stdout, "  %-10s %-13s %s  %s [%s]\n", e.Operation, e.Result.Status, terminalSafe(e.Key), terminalSafe(msg), e.Ambiente)
	}
	fmt.Fprintf(stdout, "%d claves necesitan atención\n", len(entries))
	if out != "" {
		if err := night.WritePending(out, entries); err != nil {
			return fail(stderr, err)
		}
	}
	if len(entries)+len(runs) > 0 {
		return exitSomeRows
	}
	return exitOK
}

const journalUsage = `Uso: batch journal --asignar-ambiente AMBIENTE [--journal ARCHIVO | --config ARCHIVO]

El diario guarda cada respuesta con el ambiente que la dio (sandbox, pruebas,
produccion): una respuesta de un ambiente nunca sirve para otro. Lo que un
diario guardó antes de que batch anotara el ambiente queda en "desconocido" y
ninguna ejecución lo reutiliza; si usted sabe de qué ambiente vino, dígalo:

  batch journal --asignar-ambiente produccion --journal /var/lib/batch/journal.db

Opciones:
`

// journalCmd looks after the journal: it assigns the environment the
// operator names to what was recorded before environments were.
func journalCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var ambiente string
	place, rest, code := journalFlags("journal", journalUsage, args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&ambiente, "asignar-ambiente", "", "ambiente de lo que el diario guardó sin ambiente: "+strings.Join(night.Environments, ", "))
	})
	if code >= 0 {
		return code
	}
	switch {
	case len(rest) > 0:
		return fail(stderr, fmt.Errorf("batch journal no recibe archivos (%s): use --journal o --config", strings.Join(rest, " ")))
	case !slices.Contains(night.Environments, ambiente):
		return fail(stderr, fmt.Errorf("use --asignar-ambiente con uno de %s", strings.Join(night.Environments, ", ")))
	}
	moved, err := night.AssignEnvironment(place, ambiente)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "%d claves sin ambiente quedaron en %s\n", moved, ambiente)
	return exitOK
}
