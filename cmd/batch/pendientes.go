package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"

	"batch/internal/listing"
	"batch/internal/text"
	"batch/night"
)

// pendientesCmd lists what needs a person across all nights.
func pendientesCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var out string
	place, _, file, code := journalFlags("pendientes", help("pendientes"), args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "o", "", "libro .xlsx donde escribir la lista")
	})
	if code >= 0 {
		return code
	}
	entries, runs, err := night.Pending(place)
	if err != nil {
		return fail(stderr, err)
	}
	words := map[string]*names{}
	if file != nil {
		for _, c := range file.Companies {
			words[c.NIT] = companyNames(c)
		}
	}
	for _, r := range runs {
		fmt.Fprintf(stdout, "%s (%s): la noche del %s no terminó bien (código %d): %s%s\n", text.Printable(listing.NamesOf(file).Of(r.Party)), r.Ambiente,
			r.Ended.Local().Format("2006-01-02 15:04"), r.Verdict, text.Printable(r.Problem), text.Printable(cmp.Or(words[r.Party], single).hint(&r.Cause)))
	}
	listing.Pending(stdout, entries, listing.NamesOf(file))
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
