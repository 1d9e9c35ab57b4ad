// Package options reads a command line's options as people type them:
// before or after the file names, durations as bare seconds too, every
// mistake one Spanish line with a guess, and the help as the manual writes
// options (--opción VALOR, predeterminado: …).
package options

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"batch/internal/text"
	"batch/nit"
)

// Parse parses args with fs, options and file names in any order
// (everything after "--" is a file name), and words every mistake in
// Spanish, on one line, with what to do. help is printed for -h.
func Parse(fs *flag.FlagSet, args []string, help func()) (files []string, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, err
			}
			return nil, optionError(fs, err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return append(files, rest...), nil
}

// optionError is the flag package's complaint in the command line's words.
func optionError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		name := strings.TrimLeft(strings.TrimPrefix(msg, "flag provided but not defined: "), "-")
		return fmt.Errorf("la opción --%s no existe%s", name, orSee(text.DidYouMean(name, flagNames(fs), "--")))
	case strings.HasPrefix(msg, "flag needs an argument: "):
		name := strings.TrimLeft(strings.TrimPrefix(msg, "flag needs an argument: "), "-")
		return fmt.Errorf("a la opción --%s le falta su valor: escriba --%s VALOR", name, name)
	case invalidValue.MatchString(msg):
		m := invalidValue.FindStringSubmatch(msg)
		if fl := fs.Lookup(m[2]); fl != nil {
			if _, ok := fl.Value.(*nitValue); ok {
				return fmt.Errorf("--%s: %s", m[2], strings.TrimPrefix(msg, m[0]))
			}
		}
		return fmt.Errorf("--%s %s no es un valor válido: %s", m[2], m[1], expected(fs.Lookup(m[2])))
	case strings.HasPrefix(msg, "bad flag syntax: "):
		return fmt.Errorf("«%s» no es una opción bien escrita: use --opción o --opción=valor", strings.TrimPrefix(msg, "bad flag syntax: "))
	}
	return err
}

var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value ("[^"]*") for flag -([^:]+): `)

// expected says what kind of value an option takes.
func expected(fl *flag.Flag) string {
	if fl == nil {
		return "revise el valor"
	}
	switch fl.Value.(type) {
	case *seconds:
		return "use una duración como 90 (segundos), 90s, 2m o 1h30m"
	}
	if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "use true o false, o la opción sola"
	}
	if _, err := strconv.Atoi(fl.DefValue); err == nil {
		return "debe ser un número entero"
	}
	return "revise el valor"
}

func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(fl *flag.Flag) { names = append(names, fl.Name) })
	return names
}

// Print lists fs's options as the manual writes them: --opción
// VALOR, what it does, and its default.
func Print(w io.Writer, fs *flag.FlagSet, secret func(name string) bool) {
	var lines []string
	fs.VisitAll(func(fl *flag.Flag) {
		name, usage := flag.UnquoteUsage(fl)
		dash := "--"
		if len(fl.Name) == 1 {
			dash = "-"
		}
		head := "  " + dash + fl.Name
		if word := valueWord(fl, name); word != "" {
			head += " " + word
		}
		if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "0" && fl.DefValue != "0s" && !secret(fl.Name) {
			usage += " (predeterminado: " + fl.DefValue + ")"
		}
		lines = append(lines, head+"\n      "+usage)
	})
	sort.Strings(lines)
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

// valueWord names an option's value in Spanish ("" for a switch).
func valueWord(fl *flag.Flag, name string) string {
	if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	if _, ok := fl.Value.(*seconds); ok {
		return "DURACIÓN"
	}
	if name == "int" {
		return "N"
	}
	return "VALOR"
}

// orSee ends a message about a wrong name with the guess, if any, and
// where to look.
func orSee(guess string) string {
	if guess != "" {
		return guess + " Vea las opciones con --help"
	}
	return ". Vea las opciones con --help"
}

// seconds is a duration option that also takes a bare number of seconds
// ("90"), as people write timeouts.
type seconds time.Duration

// Duration defines a duration option that also takes bare seconds.
func Duration(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*seconds)(p), name, usage)
}

// String is the duration as a person writes it: 30m, 1h30m, 2s.
func (s *seconds) String() string {
	v := time.Duration(*s).String()
	if strings.HasSuffix(v, "m0s") {
		v = strings.TrimSuffix(v, "0s")
	}
	if strings.HasSuffix(v, "h0m") {
		v = strings.TrimSuffix(v, "0m")
	}
	return v
}

func (s *seconds) Set(v string) error {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64); err == nil {
		*s = seconds(time.Duration(n * float64(time.Second)))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("no es una duración")
	}
	*s = seconds(d)
	return nil
}

// NIT declares an option holding a NIT, read as invoices write it
// (900.123.456-7) and kept as its digits, its check digit verified.
func NIT(fs *flag.FlagSet, p *string, name, usage string) {
	fs.Var((*nitValue)(p), name, usage)
}

// nitValue is a NIT option's value: its digits alone.
type nitValue string

func (v *nitValue) Set(s string) error {
	n, err := nit.Parse(s)
	if err != nil {
		return err
	}
	*v = nitValue(n)
	return nil
}

func (v *nitValue) String() string {
	if v == nil {
		return ""
	}
	return string(*v)
}

// List declares an option whose values, separated by commas, add up: it
// may be given more than once.
func List(fs *flag.FlagSet, p *[]string, name, usage string) {
	fs.Func(name, usage, func(v string) error {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p = append(*p, item)
			}
		}
		return nil
	})
}
