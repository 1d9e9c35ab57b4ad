package night

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/journal"
	"batch/sandbox"
)

// A night of three companies over one journal: each sends with its own
// token, the rows of a file shared by the night go to the company its
// Obligado column names, the company whose token is refused stops alone,
// and the journal keeps how each company's night ended.
func TestANightOfThreeCompanies(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{"tok-acme": "900111111", "tok-beta": "900222222"}}, testToken)
	dir := t.TempDir()
	for i, name := range []string{"acme", "beta", "gama"} {
		var list []string
		for k := range 4 {
			list = append(list, testutil.CUFE(2000+100*i+k))
		}
		writeCSV(t, filepath.Join(dir, name+".csv"), list)
	}
	writeText(t, filepath.Join(dir, "compartido.csv"), "CUFE;Obligado;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+
		testutil.CUFE(2400)+";900.111.111;13;1;Ana;Gómez\n"+testutil.CUFE(2401)+";900222222;13;1;Ana;Gómez\n")
	s := settingsFor(url, filepath.Join(dir, "diario.db"), "")
	s.Obligado, s.Token, s.Person = "", "", testPerson
	p := Plan{Settings: s, OutDir: dir, Archivos: []string{filepath.Join(dir, "compartido.csv")}, Companies: []Company{
		{Nombre: "ACME", NIT: "900111111", Token: "tok-acme", Archivos: []string{filepath.Join(dir, "acme.csv")}, Person: testPerson},
		{Nombre: "Beta", NIT: "900222222", Token: "tok-beta", Archivos: []string{filepath.Join(dir, "beta.csv")}, Person: testPerson},
		{Nombre: "Gama", NIT: "900333333", Token: "robado", Archivos: []string{filepath.Join(dir, "gama.csv")}, Person: testPerson},
	}}
	rep, err := NewNight(p).Run(context.Background(), func(Company) Watcher { return quiet{} })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		verdict Verdict
		rows    int
		ok      int
	}{"900111111": {Clean, 5, 5}, "900222222": {Clean, 5, 5}, "900333333": {Nothing, 4, 0}}
	for _, c := range rep.Companies {
		w := want[c.NIT]
		if c.Verdict() != w.verdict || c.Summary.Rows != w.rows || c.Summary.ByStatus()[batch.StatusOK] != w.ok {
			t.Errorf("%s: verdict %d, %d rows, %d OK; want %+v", c.Label(), c.Verdict(), c.Summary.Rows, c.Summary.ByStatus()[batch.StatusOK], w)
		}
		if c.Out == "" {
			t.Errorf("%s has no workbook", c.Label())
		} else if _, err := os.Stat(c.Out); err != nil {
			t.Errorf("%s: %v", c.Label(), err)
		}
	}
	if len(rep.Companies) != 3 || rep.Verdict() != Nothing || rep.Summary == "" {
		t.Errorf("the night: %d companies, verdict %d, summary %q", len(rep.Companies), rep.Verdict(), rep.Summary)
	}
	// The sandbox takes a token only for its own obligado: every row OK
	// above was sent with its company's token, once, and the shared
	// file's rows went to theirs; none of Gama's was registered.
	for cufe, nit := range map[string]string{testutil.CUFE(2000): "900111111", testutil.CUFE(2100): "900222222", testutil.CUFE(2400): "900111111", testutil.CUFE(2401): "900222222"} {
		if seen := sb.Seen(cufe); len(seen) != 1 || seen[0].Obligado != nit {
			t.Errorf("%s was sent as %+v; want once, for %s", cufe[:8], seen, nit)
		}
	}
	if _, ok := sb.Registered(testutil.CUFE(2200)); ok {
		t.Error("a row of the company whose token was refused was registered")
	}
	d, err := journal.OpenReadOnly(filepath.Join(dir, "diario.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	runs, err := d.Runs()
	if err != nil || len(runs) != 1 || runs[0].Party != "900333333" || runs[0].Cause.Kind != batch.KindCredentials {
		t.Errorf("the journal's record of the nights that did not end well: %+v, %v", runs, err)
	}
}

// A company's sheet copied into another company's folder: its invoices
// are in both companies' files and no row says whose they are, so neither
// company sends them, and each says where the other copy is. A row whose
// Obligado column says whose it is goes to that company alone.
func TestACopiedSheetIsSentByNoCompany(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{"tok-acme": "900111111", "tok-beta": "900222222"}}, testToken)
	dir := t.TempDir()
	for _, d := range []string{"acme", "beta"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	acme := []string{testutil.CUFE(5000), testutil.CUFE(5001), testutil.CUFE(5002)}
	writeCSV(t, filepath.Join(dir, "acme", "r.csv"), acme)
	writeCSV(t, filepath.Join(dir, "beta", "copia-de-acme.csv"), acme)
	writeCSV(t, filepath.Join(dir, "beta", "r.csv"), []string{testutil.CUFE(5100), strings.ToUpper(testutil.CUFE(5002))})
	owned := "CUFE;Obligado;Tipo identificacion;Identificacion;Nombres;Apellidos\n" + testutil.CUFE(5200) + ";900.111.111-0;13;1;Ana;Gómez\n"
	writeText(t, filepath.Join(dir, "acme", "suya.csv"), owned)
	writeText(t, filepath.Join(dir, "beta", "suya.csv"), owned)
	s := settingsFor(url, filepath.Join(dir, "diario.db"), "")
	s.Obligado, s.Token, s.Person = "", "", testPerson
	p := Plan{Settings: s, OutDir: dir, Companies: []Company{
		{Nombre: "ACME", NIT: "900111111", Token: "tok-acme", Archivos: []string{filepath.Join(dir, "acme", "*.csv")}, Person: testPerson},
		{Nombre: "Beta", NIT: "900222222", Token: "tok-beta", Archivos: []string{filepath.Join(dir, "beta", "*.csv")}, Person: testPerson},
	}}
	rep, err := NewNight(p).Run(context.Background(), func(Company) Watcher { return quiet{} })
	if err != nil {
		t.Fatal(err)
	}
	for _, cufe := range acme {
		if seen := sb.Seen(cufe); len(seen) != 0 {
			t.Errorf("%s, in both companies' files, was sent: %+v", cufe[:8], seen)
		}
	}
	if seen := sb.Seen(testutil.CUFE(5200)); len(seen) != 1 || seen[0].Obligado != "900111111" {
		t.Errorf("the row whose Obligado says ACME was sent as %+v", seen)
	}
	if seen := sb.Seen(testutil.CUFE(5100)); len(seen) != 1 {
		t.Errorf("Beta's own invoice was sent %d times", len(seen))
	}
	want := map[string]struct {
		ok, invalid int
		names       string
	}{"900111111": {1, 3, "copia-de-acme.csv de Beta 900222222"}, "900222222": {1, 5, "r.csv de ACME 900111111"}}
	for _, c := range rep.Companies {
		w, by := want[c.NIT], c.Summary.ByStatus()
		if by[batch.StatusOK] != w.ok || by[batch.StatusInvalido] != w.invalid {
			t.Errorf("%s: %d OK, %d INVALIDO; want %+v", c.Label(), by[batch.StatusOK], by[batch.StatusInvalido], w)
		}
		f, err := excelize.OpenFile(c.Out)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("Resultados")
		f.Close()
		if text := fmt.Sprint(rows); !strings.Contains(text, w.names) || !strings.Contains(text, "no se envía en ninguna") {
			t.Errorf("%s's workbook does not name %q:\n%s", c.Label(), w.names, text)
		}
	}
}

// Two nights of one configuration started together: the second is refused
// while the first sends, and each names, and writes, its own summary; the
// first night's is not replaced by the refused one's.
func TestTwoNightsAtOnceNeverShareANames(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{"tok-acme": "900111111"},
		Latency: func() time.Duration {
			once.Do(func() { close(arrived) })
			<-release
			return 0
		}}, testToken)
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "acme.csv"), []string{testutil.CUFE(5300), testutil.CUFE(5301)})
	s := settingsFor(url, filepath.Join(dir, "diario.db"), "")
	s.Obligado, s.Token, s.Person = "", "", testPerson
	p := Plan{Settings: s, OutDir: dir, Companies: []Company{
		{Nombre: "ACME", NIT: "900111111", Token: "tok-acme", Archivos: []string{filepath.Join(dir, "acme.csv")}, Person: testPerson}}}
	var first Report
	done := make(chan error, 1)
	go func() {
		var err error
		first, err = NewNight(p).Run(context.Background(), func(Company) Watcher { return quiet{} })
		done <- err
	}()
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		close(release)
		t.Fatal("the first night sent nothing in 20 s")
	}
	second, err := NewNight(p).Run(context.Background(), func(Company) Watcher { return quiet{} })
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the first night did not end in 20 s")
	}
	var be *batch.Error
	if c := second.Companies[0]; !errors.As(c.Failed, &be) || be.Kind != batch.KindBusy {
		t.Errorf("the second night's company: %v", c.Failed)
	}
	if first.Summary == "" || second.Summary == "" || first.Summary == second.Summary || first.Companies[0].Verdict() != Clean {
		t.Fatalf("summaries %q and %q, first night %d", first.Summary, second.Summary, first.Companies[0].Verdict())
	}
	rows := testutil.ReadSheet(t, first.Summary, "Noche")
	if len(rows) != 1 || rows[0]["código de salida"] != "0" {
		t.Errorf("the first night's summary holds %v", rows)
	}
}

// A name taken by a night that has not yet written it is not given to
// another; nothing is left behind where nothing was written.
func TestOutputNamesAreReserved(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := Plan{OutDir: dir, Companies: []Company{{NIT: "900111111"}}}
	_, a, releaseA, err := reserveOutputs(p, "2026-12-07")
	if err != nil {
		t.Fatal(err)
	}
	books, b, releaseB, err := reserveOutputs(p, "2026-12-07")
	if err != nil || a == b || filepath.Base(b) != "noche-2026-12-07-2.xlsx" || filepath.Base(books[0]) != "900111111-resultados-2026-12-07-2.xlsx" {
		t.Errorf("second night: %q, %v, %v", b, books, err)
	}
	releaseA()
	releaseB()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

// The DIAN's export of a group of companies, listed for the whole night:
// each received invoice goes to the company its NIT Receptor names, the
// same CUFE in another company's own file is not a shared invoice when its
// row says whose it is, and the invoices a company issued go to none.
func TestTheReceptorSaysWhoseARowIs(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{"tok-acme": "900111111", "tok-beta": "900222222"}}, testToken)
	dir := t.TempDir()
	head := "Documentos Recibidos;;;;\n;;;;\nTipo de documento;CUFE/CUDE;NIT Emisor;NIT Receptor;Estado;Grupo\n"
	writeText(t, filepath.Join(dir, "grupo.csv"), head+
		"Factura electrónica;"+testutil.CUFE(5400)+";800197268;900.111.111-0;Aprobado;Recibido\n"+
		"Factura electrónica;"+testutil.CUFE(5401)+";800197268;900222222;Aprobado;Recibido\n"+
		"Factura electrónica;"+testutil.CUFE(5402)+";900111111;900222222;Aprobado;Emitido\n")
	writeText(t, filepath.Join(dir, "beta.csv"), head+"Factura electrónica;"+testutil.CUFE(5401)+";800197268;900222222;Aprobado;Recibido\n")
	s := settingsFor(url, filepath.Join(dir, "diario.db"), "")
	s.Obligado, s.Token, s.Person = "", "", testPerson
	p := Plan{Settings: s, OutDir: dir, Archivos: []string{filepath.Join(dir, "grupo.csv")}, Companies: []Company{
		{Nombre: "ACME", NIT: "900111111", Token: "tok-acme", Archivos: []string{filepath.Join(dir, "nada", "*.csv")}, Person: testPerson},
		{Nombre: "Beta", NIT: "900222222", Token: "tok-beta", Archivos: []string{filepath.Join(dir, "beta.csv")}, Person: testPerson},
	}}
	os.MkdirAll(filepath.Join(dir, "nada"), 0o755)
	if _, err := NewNight(p).Run(context.Background(), func(Company) Watcher { return quiet{} }); err != nil {
		t.Fatal(err)
	}
	for cufe, whose := range map[string]string{testutil.CUFE(5400): "900111111", testutil.CUFE(5401): "900222222"} {
		if seen := sb.Seen(cufe); len(seen) != 1 || seen[0].Obligado != whose {
			t.Errorf("%s was sent as %+v; want once, for %s", cufe[:8], seen, whose)
		}
	}
	if seen := sb.Seen(testutil.CUFE(5402)); len(seen) != 0 {
		t.Errorf("ACME's own invoice to Beta was sent: %+v", seen)
	}
}
