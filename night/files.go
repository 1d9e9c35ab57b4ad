package night

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"batch/internal/diskerr"
	"batch/internal/secret"
	"batch/ops"
	"batch/readers"
	"batch/writers"
)

// A night's files, as its patterns find them in the folders: the ones to
// read, the ones that cannot be, and the ones that are not input at all.
type nightFiles struct {
	read       map[string]bool // readable inputs
	unread     map[string]string
	skippedWhy map[string]string // left alone, and why
}

// companyMatches expands every company's patterns; a pattern that matches
// nothing is noted, not an error.
func companyMatches(companies []Company) (matches [][]string, unmatched map[int][]string, missing map[int][]writers.Unread, err error) {
	matches = make([][]string, len(companies))
	unmatched, missing = map[int][]string{}, map[int][]writers.Unread{}
	for i, c := range companies {
		for _, p := range c.Archivos {
			found, err := filepath.Glob(p)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("el patrón de archivos «%s» de %s no es válido: %v", p, c.Label(), err)
			}
			if len(found) == 0 {
				// No new files tonight is quiet; a folder that is not
				// there, or that this user cannot read, is the company's
				// trouble.
				if dir, why := folderProblem(p); why != "" {
					missing[i] = append(missing[i], writers.Unread{Path: dir, Reason: why + " (patrón «" + p + "»)"})
				} else {
					unmatched[i] = append(unmatched[i], p)
				}
			}
			sort.Strings(found)
			matches[i] = append(matches[i], found...)
		}
	}
	return matches, unmatched, missing, nil
}

// folderProblem is why the folder a pattern looks in cannot be looked in,
// or "": the folder is the pattern's path up to its first wildcard.
func folderProblem(pattern string) (dir, why string) {
	dir = filepath.Dir(pattern)
	for strings.ContainsAny(dir, "*?[") {
		dir = filepath.Dir(dir)
	}
	_, err := os.ReadDir(dir)
	switch {
	case err == nil:
		return dir, ""
	case errors.Is(err, fs.ErrNotExist):
		return dir, "la carpeta no existe: revise la ruta en el archivo de configuración"
	case errors.Is(err, fs.ErrPermission):
		return dir, "la carpeta no se puede leer con el usuario que corre batch (permiso denegado)"
	}
	return dir, "la carpeta no se puede leer: " + err.Error()
}

// screen looks at every file the patterns matched, once: what batch wrote,
// Excel's owner files, hidden and temporary files and folders are left
// alone and said once; a file that is not regular or cannot be read is
// unread, with why; the rest are read.
func screen(matches [][]string, s Settings, mask *secret.Mask) nightFiles {
	nf := nightFiles{read: map[string]bool{}, unread: map[string]string{}, skippedWhy: map[string]string{}}
	seen := map[string]bool{}
	for _, list := range matches {
		for _, path := range list {
			if seen[path] {
				continue
			}
			seen[path] = true
			if why := notInput(path); why != "" {
				nf.skippedWhy[path] = why
				continue
			}
			if why := readable(path, s); why != "" {
				nf.unread[path] = mask.Text(why) // it may quote the file
			} else {
				nf.read[path] = true
			}
		}
	}
	return nf
}

// ours are the names of what batch writes beside the inputs: results and
// revisions (dated or not), and the night's summary.
var ours = regexp.MustCompile(`(?i)((-resultados|-revision)(-\d{4}-\d{2}-\d{2}(-\d+)?)?\.xlsx|^noche-\d{4}-\d{2}-\d{2}(-\d+)?\.xlsx|^pendientes\.xlsx)$`)

// notInput says why a matched path is no input ("" when it may be one).
func notInput(path string) string {
	base := filepath.Base(path)
	switch {
	case strings.HasPrefix(base, "~$"):
		return "archivo de bloqueo de Excel (alguien tiene el libro abierto); se omite"
	case strings.HasPrefix(base, "."):
		return "archivo oculto; se omite"
	case strings.HasSuffix(base, "~"), strings.HasSuffix(strings.ToLower(base), ".tmp"), strings.HasSuffix(strings.ToLower(base), ".bak"):
		return "archivo temporal; se omite"
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if strings.HasSuffix(base, "-adjuntos") {
			return "carpeta de adjuntos que batch guardó; se omite"
		}
		return "es una carpeta; se omite"
	}
	if strings.EqualFold(filepath.Ext(base), ".xlsx") {
		if kind := writers.Written(path); kind != "" {
			return "libro que escribió batch (" + kind + "); no es una entrada"
		}
	}
	if ours.MatchString(base) {
		return "libro que escribió batch; no es una entrada"
	}
	return ""
}

// readable says why a file cannot be read as input ("" when it can).
func readable(path string, s Settings) string {
	in, err := readers.Open(path, readers.Options{Keys: ops.KeyFields(nil), Password: s.FilePassword, HiddenSheets: s.HiddenSheets})
	if err != nil {
		return err.Error()
	}
	in.Close()
	return ""
}

// outputs are each company's workbook for the night of date, and the
// night's summary: dated, and numbered after the first night of the day,
// so that no night replaces an earlier one. A dry run's revisions are not
// kept: each replaces the last.
func outputs(p Plan, date string) (books []string, summary string) {
	books, summary, _ = outputsFrom(p, date, 1)
	return books, summary
}

// outputsFrom is outputs, numbered from the first-th night of the day on;
// n is the number taken.
func outputsFrom(p Plan, date string, first int) (books []string, summary string, n int) {
	outDir := p.OutDir
	for n = first; ; n++ {
		suffix := "-" + date
		if n > 1 {
			suffix += fmt.Sprintf("-%d", n)
		}
		books = make([]string, len(p.Companies))
		taken := false
		for i, c := range p.Companies {
			books[i] = companyBook(c, outDir, suffix, p.DryRun)
			_, err := os.Lstat(books[i])
			taken = taken || (err == nil && !p.DryRun)
		}
		summary = filepath.Join(outDir, "noche"+suffix+".xlsx")
		if _, err := os.Lstat(summary); err == nil && !p.DryRun {
			taken = true
		}
		if !taken {
			return books, summary, n
		}
	}
}

// reserveOutputs is outputs with the summary's name taken at once by an
// empty file, so that two nights started together never print, or write,
// the same names: the second finds it taken and numbers its own. release
// removes the empty file if the night wrote nothing into it.
func reserveOutputs(p Plan, date string) (books []string, summary string, release func(), err error) {
	if p.DryRun {
		books, summary = outputs(p, date)
		return books, summary, func() {}, nil
	}
	for n := 1; ; n++ {
		books, summary, n = outputsFrom(p, date, n)
		f, err := os.OpenFile(summary, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			if worded, ok := diskerr.Of(err, filepath.Dir(summary), "el resumen de la noche"); ok {
				return nil, "", nil, worded
			}
			if errors.Is(err, fs.ErrNotExist) {
				return nil, "", nil, fmt.Errorf("la carpeta de resultados %s no existe: créela, o corrija carpeta_resultados en el archivo de configuración", filepath.Dir(summary))
			}
			return nil, "", nil, fmt.Errorf("no se puede crear el resumen de la noche %s: %w", summary, err)
		}
		f.Close()
		return books, summary, func() {
			if st, err := os.Lstat(summary); err == nil && st.Size() == 0 {
				os.Remove(summary)
			}
		}, nil
	}
}

// companyBook is a company's workbook: the one configured, or
// NIT-resultados.xlsx in outDir, with the night's suffix.
func companyBook(c Company, outDir, suffix string, dryRun bool) string {
	if dryRun {
		base := strings.TrimSuffix(c.Resultados, filepath.Ext(c.Resultados))
		if base == "" {
			base = filepath.Join(outDir, c.NIT+"-resultados")
		}
		return strings.TrimSuffix(base, "-resultados") + "-revision.xlsx"
	}
	if c.Resultados == "" {
		return filepath.Join(outDir, c.NIT+"-resultados"+suffix+".xlsx")
	}
	return strings.TrimSuffix(c.Resultados, filepath.Ext(c.Resultados)) + suffix + ".xlsx"
}

// collisions refuses outputs that would replace an input of the night or
// each other.
func collisions(p Plan, books []string, summary string, matches [][]string) error {
	owner := map[string]string{}
	for i, list := range matches {
		whose := "la noche"
		if i < len(p.Companies) {
			whose = p.Companies[i].Label()
		}
		for _, f := range list {
			if a := absolute(f); owner[a] == "" {
				owner[a] = "un archivo de entrada de " + whose
			}
		}
	}
	claim := func(path, who string) error {
		a := absolute(path)
		if prev, ok := owner[a]; ok {
			return fmt.Errorf("%s y %s son el mismo archivo (%s): cada salida necesita su propio nombre y ninguna puede ser una entrada. Corrija resultados, carpeta_resultados o archivos en el archivo de configuración", who, prev, path)
		}
		owner[a] = who
		return nil
	}
	for i, b := range books {
		who := "el libro de resultados de " + p.Companies[i].Label()
		if err := claim(b, who); err != nil {
			return err
		}
		// The name configured, before the night's date, is claimed too:
		// two companies never share one, and none names an input.
		if c := p.Companies[i].Resultados; c != "" && absolute(c) != absolute(b) {
			if err := claim(c, who+" (resultados)"); err != nil {
				return err
			}
		}
	}
	if !p.DryRun {
		return claim(summary, "el resumen de la noche")
	}
	return nil
}

func absolute(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// tell logs, under the first company that matched it, each file left
// alone and why, and each company's patterns that matched nothing.
func (nf nightFiles) tell(matches [][]string, unmatched map[int][]string, watchers []Watcher) {
	told := map[string]bool{}
	for i, list := range matches {
		for _, path := range list {
			if why, ok := nf.skippedWhy[path]; ok && !told[path] {
				told[path] = true
				watchers[i].Notice(fmt.Sprintf("batch: %s: %s", filepath.Base(path), why))
			}
		}
		for _, p := range unmatched[i] {
			watchers[i].Notice(fmt.Sprintf("batch: ningún archivo coincide con «%s»", p))
		}
	}
}

// owned are each company's own files that are read.
func (nf nightFiles) owned(matches [][]string) [][]string {
	own := make([][]string, len(matches))
	for i, m := range matches {
		own[i], _ = nf.of(m)
	}
	return own
}

// of are a company's matched files that are read, and those that cannot
// be, with why.
func (nf nightFiles) of(matched []string) (own []string, unread []writers.Unread) {
	for _, f := range matched {
		switch {
		case nf.read[f] && !slices.Contains(own, f):
			own = append(own, f)
		case nf.unread[f] != "" && !slices.ContainsFunc(unread, func(u writers.Unread) bool { return u.Path == f }):
			unread = append(unread, writers.Unread{Path: f, Reason: nf.unread[f]})
		}
	}
	return own, unread
}
