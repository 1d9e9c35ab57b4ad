package main

// Helpers shared by the command line's tests: the environment, the
// sandbox, the binary, and what is read back from files.

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"batch/internal/testutil"
	"batch/sandbox"
)

const token = "token-de-prueba-XYZ"

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runMain runs the command line with a journal of the test's own, unless
// the test names one.
func runMain(t *testing.T, getenv func(string) string, args ...string) (int, string) {
	t.Helper()
	state := t.TempDir()
	isolated := func(k string) string {
		if v := getenv(k); v != "" || k != "XDG_STATE_HOME" {
			return v
		}
		return state
	}
	var stdout, stderr bytes.Buffer
	code := Main(args, isolated, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

// cufes are n distinct well-formed CUFEs.
func cufes(n int) []string {
	list := make([]string, n)
	for i := range list {
		list[i] = testutil.CUFE(i)
	}
	return list
}

var full = env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456"})

func writeCSV(t *testing.T, path string, cufes []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("CUFE;Tipo identificacion;Identificacion;Nombres;Apellidos\n")
	for _, c := range cufes {
		b.WriteString(c + ";13;52123456;Ana;Gómez\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func pick(cond bool, f sandbox.Fault) sandbox.Fault {
	if cond {
		return f
	}
	return sandbox.FaultNone
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "batch")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// after returns a sandbox fault hook that closes reached when the n-th
// request arrives, and answers every request with fault(): the tests act
// at a point of the run, not after a guessed delay.
func after(n int, fault func() sandbox.Fault) (func(string, int) sandbox.Fault, <-chan struct{}) {
	var (
		mu       sync.Mutex
		requests int
		reached  = make(chan struct{})
	)
	return func(string, int) sandbox.Fault {
		mu.Lock()
		defer mu.Unlock()
		if requests++; requests == n {
			close(reached)
		}
		return fault()
	}, reached
}

func none() sandbox.Fault { return sandbox.FaultNone }

// command runs the built binary against url with the test's token, and
// the state folder (the machine's locks) of the binary's own folder.
func command(bin, url string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, append([]string{"run", "--url", url}, args...)...)
	cmd.Env = append(os.Environ(), "AFACTURAR_TOKEN="+token, "AFACTURAR_OBLIGADO=900123456", "XDG_STATE_HOME="+filepath.Join(filepath.Dir(bin), "estado"))
	return cmd
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cuvOf is a CUV distinct from every testutil.CUFE: 96 hex characters, as
// every public sample is.
func cuvOf(n int) string { return testutil.CUFE(1_000_000 + n) }

// openSQL opens a journal for a test to read what batch wrote.
func openSQL(path string) (*sql.DB, error) { return sql.Open("sqlite", path) }

// assertDimensions checks that every sheet's declared <dimension> is the
// range its cells cover, as a reader that trusts it (openpyxl read-only,
// streaming ETL tools) needs: read from the zip, not through excelize.
func assertDimensions(t *testing.T, path string) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	dimRE := regexp.MustCompile(`<dimension ref="([^"]+)"`)
	cellRE := regexp.MustCompile(`<c r="([A-Z]+)([0-9]+)"`)
	sheets := 0
	for _, f := range z.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/sheet") {
			continue
		}
		sheets++
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		maxCol, maxRow := 0, 0
		for _, m := range cellRE.FindAllStringSubmatch(string(b), -1) {
			col, _ := excelize.ColumnNameToNumber(m[1])
			row, _ := strconv.Atoi(m[2])
			maxCol, maxRow = max(maxCol, col), max(maxRow, row)
		}
		end, _ := excelize.CoordinatesToCellName(maxCol, maxRow)
		d := dimRE.FindStringSubmatch(string(b))
		if d == nil || d[1] != "A1:"+end {
			t.Errorf("%s declares %v; its cells cover A1:%s", f.Name, d, end)
		}
	}
	if sheets != 3 {
		t.Errorf("%d sheets", sheets)
	}
}

// cellType is how a column's cell is stored, by its header, at row.
func cellType(t *testing.T, f *excelize.File, header string, row int) excelize.CellType {
	t.Helper()
	head, _ := f.GetRows("Resultados")
	for i, h := range head[0] {
		if h == header {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			v, _ := f.GetCellValue("Resultados", cell)
			typ, _ := f.GetCellType("Resultados", cell)
			if v == "" {
				t.Fatalf("%s at row %d is empty", header, row)
			}
			return typ
		}
	}
	t.Fatalf("no column %s", header)
	return 0
}

// readByOthers has LibreOffice and openpyxl's read-only mode read the
// workbook and compare it cell by cell, type and value, with what was
// written (tools/lectores).
func readByOthers(t *testing.T, path string) {
	t.Helper()
	// make test installs both; a plain go test elsewhere may not have them,
	// but CI must: there a missing reader is a failure, not a skip.
	missing := t.Logf
	if os.Getenv("CI") != "" {
		missing = t.Fatalf
	}
	if _, err := exec.LookPath("soffice"); err != nil {
		missing("LibreOffice is not installed: the workbook is not read by it here (make test installs it)")
		return
	}
	if exec.Command("/usr/bin/python3", "-c", "import openpyxl").Run() != nil {
		missing("openpyxl is not installed: the workbook is not read by it here (make test installs it)")
		return
	}
	out, err := exec.Command("go", "run", "../../tools/lectores", path).CombinedOutput()
	if err != nil {
		t.Errorf("other readers disagree with the workbook: %v\n%s", err, out)
	}
}
