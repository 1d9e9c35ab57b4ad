package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"batch/config"
	"batch/internal/options"
	"batch/internal/text"
	"batch/night"
)

// journalCmd looks after the journal: it assigns the environment the
// operator names to what was recorded before environments were.
func journalCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var ambiente, copia string
	place, rest, _, code := journalFlags("journal", help("journal"), args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&ambiente, "asignar-ambiente", "", "ambiente de lo que el diario guardó sin ambiente: "+strings.Join(night.Environments, ", "))
		fs.StringVar(&copia, "restaurar", "", "poner esta copia (de la carpeta DIARIO.copias) en lugar del diario; el que reemplaza queda aparte")
	})
	if code >= 0 {
		return code
	}
	switch {
	case len(rest) > 0:
		return fail(stderr, fmt.Errorf("batch journal no recibe archivos (%s): use --journal o --config", strings.Join(rest, " ")))
	case copia != "" && ambiente != "":
		return fail(stderr, errors.New("use --restaurar o --asignar-ambiente, no los dos a la vez"))
	case copia != "":
		path, kept, err := night.RestoreJournal(place, copia)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "el diario %s es ahora la copia %s; el que había quedó en %s\n", text.Printable(path), text.Printable(copia), text.Printable(cmp.Or(kept, "(no había)")))
		return exitOK
	case !slices.Contains(night.Environments, ambiente):
		return fail(stderr, fmt.Errorf("use --asignar-ambiente con uno de %s, o --restaurar COPIA", strings.Join(night.Environments, ", ")))
	}
	moved, err := night.AssignEnvironment(place, ambiente)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "%d claves sin ambiente quedaron en %s\n", moved, ambiente)
	return exitOK
}

// journalFlags parses a journal-reading command's flags: where the
// journal is (--journal, or the journal of the configuration file), and
// the arguments left. code is -1 when the command goes on.
func journalFlags(name, usage string, args []string, getenv func(string) string, stderr io.Writer, define func(*flag.FlagSet)) (night.JournalPlace, []string, *config.File, int) {
	fs := flag.NewFlagSet("batch "+name, flag.ContinueOnError)
	path := fs.String("journal", "", "el diario; por defecto el del archivo de configuración, o $XDG_STATE_HOME/batch/journal.db, o ~/.local/state/batch/journal.db")
	cfg := fs.String("config", "", "archivo de configuración de batch run, para usar su diario")
	if define != nil {
		define(fs)
	}
	rest, err := options.Parse(fs, args, func() { fmt.Fprint(stderr, usage); options.Print(stderr, fs, isSecret) })
	if errors.Is(err, flag.ErrHelp) {
		return night.JournalPlace{}, nil, nil, exitOK
	}
	if err != nil {
		return night.JournalPlace{}, nil, nil, fail(stderr, err)
	}
	var file *config.File
	if c := cmp.Or(*cfg, config.UserPath(getenv)); *path == "" && c != "" {
		f, err := config.Load(c)
		if err == nil {
			err = f.MovedJournal()
		}
		if err != nil {
			return night.JournalPlace{}, nil, nil, fail(stderr, err)
		}
		file, *path = f, f.Values["journal"]
	}
	return journalPlace(*path, getenv), rest, file, -1
}
