package night

// Helpers of the night's scenarios: a provider on loopback, the settings
// of a run against it, and the run itself.

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/internal/testutil"
	"batch/sandbox"
)

const testToken = "token-de-prueba-XYZ"

// testPerson receives the invoices of files that do not say who did.
var testPerson = Person{TipoIdentificacion: "13", Identificacion: "1", Nombres: "Ana", Apellidos: "Gómez"}

// settingsFor are a run of files against the providers at url, as
// 900123456 with the test's token, at a pace no test waits for, with its
// journal at jr and its workbook at out; the rest as Defaults.
func settingsFor(url, jr, out string, files ...string) Settings {
	s := Defaults()
	s.Files, s.Out, s.Obligado, s.Token = files, out, "900123456", testToken
	// The machine's locks in the journal's folder: a test's own.
	s.Journal = JournalPlace{Path: jr, StateHome: filepath.Dir(jr)}
	s.Reach = map[batch.Service]*Reach{
		batch.ServiceAfacturar:  {URL: url, Rate: 60000},
		batch.ServiceSSIntegral: {URL: url + sandbox.SOAPPath},
	}
	return s
}

// send wires and sends a run, and returns how it ended: a run that could
// not be wired is an outcome that Failed.
func send(t *testing.T, s Settings) Outcome { return sendTo(t, s, quiet{}) }

// sendTo is send, telling w what the run tells.
func sendTo(t *testing.T, s Settings, w Watcher) Outcome {
	t.Helper()
	r, err := Open(s)
	if err != nil {
		return Outcome{Failed: err}
	}
	defer r.Close()
	return r.Send(context.Background(), w)
}

// heard is a watcher that keeps the lines a run tells about its
// providers and its files.
type heard struct {
	quiet
	mu    sync.Mutex
	lines []string
}

func (h *heard) Event(line string)  { h.mu.Lock(); defer h.mu.Unlock(); h.lines = append(h.lines, line) }
func (h *heard) Notice(line string) { h.Event(line) }

func (h *heard) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.lines, "\n")
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cufes are n distinct well-formed CUFEs.
func cufes(n int) []string {
	list := make([]string, n)
	for i := range list {
		list[i] = testutil.CUFE(i)
	}
	return list
}

// writeCSV writes a CSV of received invoices, each with its recipient.
func writeCSV(t *testing.T, path string, cufes []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("CUFE;Tipo identificacion;Identificacion;Nombres;Apellidos\n")
	for _, c := range cufes {
		b.WriteString(c + ";13;52123456;Ana;Gómez\n")
	}
	writeText(t, path, b.String())
}

// cellOf finds a column by its header in Resultados.
func cellOf(t *testing.T, f *excelize.File, header string, row int) string {
	t.Helper()
	cols, err := f.GetRows("Resultados")
	if err != nil || len(cols) == 0 {
		t.Fatal(err)
	}
	for i, h := range cols[0] {
		if h == header {
			c, _ := excelize.CoordinatesToCellName(i+1, row)
			return c
		}
	}
	t.Fatalf("no column %s", header)
	return ""
}

// assertNoSecretOnDisk looks for a secret in every file under dir, the
// workbooks' compressed parts included.
func assertNoSecretOnDisk(t *testing.T, dir, secret string) {
	t.Helper()
	checked := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		checked++
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret", path)
		}
		if strings.HasSuffix(path, ".xlsx") {
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, sheet := range f.GetSheetList() {
				rows, _ := f.GetRows(sheet)
				for _, r := range rows {
					if strings.Contains(strings.Join(r, "\x00"), secret) {
						t.Errorf("%s, sheet %s, holds the secret", path, sheet)
					}
				}
			}
		}
		return nil
	})
	if checked < 4 {
		t.Errorf("only %d files under %s: the journal and the workbook should be there", checked, dir)
	}
}
