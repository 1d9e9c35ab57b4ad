package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"batch/internal/listing"
	"batch/internal/options"
	"batch/night"
)

// historialCmd prints what the journal knows of each key, or of the keys
// an invoice number, an issuer, a date range or a state finds.
func historialCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var f listing.Filter
	place, keys, file, code := journalFlags("historial", help("historial"), args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&f.Invoice, "factura", "", "las claves de esta factura (PREFIJO NUMERO, p. ej. FE-123)")
		fs.StringVar(&f.Supplier, "proveedor", "", "las claves de las facturas de este emisor (NIT)")
		fs.StringVar(&f.From, "desde", "", "las claves enviadas desde este día (AAAA-MM-DD)")
		fs.StringVar(&f.To, "hasta", "", "las claves enviadas hasta este día, incluido (AAAA-MM-DD)")
		options.List(fs, &f.Statuses, "estado", "solo las claves en estos estados (OK, REVISAR, ERROR…), separados por comas")
	})
	if code >= 0 {
		return code
	}
	names := listing.NamesOf(file)
	if f.Empty() {
		if len(keys) == 0 {
			return fail(stderr, errors.New("falta la clave: batch historial CUFE..., o --factura, --proveedor, --desde, --hasta o --estado"))
		}
		histories, err := night.History(place, keys)
		if err != nil {
			return fail(stderr, err)
		}
		if !listing.Histories(stdout, keys, histories, names) {
			return exitSomeRows
		}
		return exitOK
	}
	q, err := f.Query()
	if err != nil {
		return fail(stderr, err)
	}
	entries, err := night.Find(place, q)
	if err != nil {
		return fail(stderr, err)
	}
	for _, e := range entries {
		listing.Line(stdout, e, names)
	}
	fmt.Fprintf(stdout, "%d claves\n", len(entries))
	if len(entries) == 0 {
		return exitSomeRows
	}
	return exitOK
}
