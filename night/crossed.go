package night

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"

	"batch"
	"batch/readers"
)

// A night of several companies reads every company's own files once
// before anything is sent, for the invoices found in more than one
// company's files: a sheet copied into the wrong company's folder would
// otherwise register its events under whichever company got there first,
// or under both. Where a row says whose it is (its Obligado column), that
// decides; where none does, no company sends it.

// crossKeys are the columns whose value names one invoice in the whole
// country: an invoice number ("FE 1") is only unique within its issuer.
var crossKeys = []batch.Field{batch.FieldCUFE, batch.FieldCUV}

// place is where a company's file holds a key.
type place struct {
	company int
	file    string
}

// crossing are the keys found in more than one company's files, rows that
// do not say whose they are, each with where it was found.
type crossing map[[sha256.Size224]byte][]place

func crossKey(v string) [sha256.Size224]byte {
	return sha256.Sum224([]byte(strings.ToLower(strings.TrimSpace(v))))
}

// crossed reads each company's own files (own[i] are company i's) and
// gives the keys more than one company holds. A file that cannot be read
// here is left to the company's own reading to report.
func crossed(own [][]string, s Settings) crossing {
	if len(own) < 2 {
		return nil
	}
	first := map[[sha256.Size224]byte]place{}
	cross := crossing{}
	for i, files := range own {
		for _, f := range files {
			in, err := readers.Open(f, readers.Options{Keys: crossKeys, Password: s.FilePassword, HiddenSheets: s.HiddenSheets})
			if err != nil {
				continue
			}
			in.Each(func(row batch.Row) error {
				if whose(row) != "" {
					return nil // the row says whose it is
				}
				for _, k := range crossKeys {
					v := row.Get(k)
					if v == "" {
						continue
					}
					h, here := crossKey(v), place{i, f}
					switch prev, seen := first[h]; {
					case !seen:
						first[h] = here
					case prev.company != i && len(cross[h]) == 0:
						cross[h] = []place{prev, here}
					case prev.company != i && !holds(cross[h], i):
						cross[h] = append(cross[h], here)
					}
				}
				return nil
			})
			in.Close()
		}
	}
	return cross
}

func holds(places []place, company int) bool {
	for _, p := range places {
		if p.company == company {
			return true
		}
	}
	return false
}

// refusal is why company me does not send a row whose key other companies'
// files hold too, naming them and their files; "" when none does.
func (c crossing) refusal(row batch.Row, me int, companies []Company) string {
	if len(c) == 0 || whose(row) != "" {
		return ""
	}
	for _, k := range crossKeys {
		v := row.Get(k)
		if v == "" {
			continue
		}
		var others []string
		for _, p := range c[crossKey(v)] {
			if p.company != me {
				others = append(others, fmt.Sprintf("%s de %s", filepath.Base(p.file), companies[p.company].Label()))
			}
		}
		if len(others) > 0 {
			return fmt.Sprintf("esta factura está también en %s: no se sabe de qué empresa es y no se envía en ninguna. Déjela solo en los archivos de su empresa, o agregue la columna Obligado con el NIT de la suya", strings.Join(others, " y en "))
		}
	}
	return ""
}
