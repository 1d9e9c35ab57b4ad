//go:build unix

package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A 100 KB workbook whose one 100 MB shared string stands in sixty cells
// is refused by batch check in a few megabytes, and leaves no temporary
// file behind.
func TestSharedStringBombStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir, tmp := t.TempDir(), t.TempDir()
	book := filepath.Join(dir, "bomba.xlsx")
	writeBomb(t, book, 100<<20)
	cmd := exec.Command(bin, "check", "-o", filepath.Join(dir, "r.xlsx"), book)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, _ := cmd.CombinedOutput()
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // kilobytes on Linux
	if cmd.ProcessState.ExitCode() != exitNothing || !strings.Contains(string(out), "32767") || rss > 512<<20 {
		t.Errorf("exit %d, %d MB resident\n%s", cmd.ProcessState.ExitCode(), rss>>20, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary folder: %v", left)
	}
}

// writeBomb writes a workbook whose shared string of size bytes stands in
// sixty cells, by hand: Excel and excelize never write one.
func writeBomb(t *testing.T, path string, size int) {
	t.Helper()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "CUFE")
	f.SetCellValue("Sheet1", "B1", "Nombres")
	for r := 2; r <= 61; r++ {
		f.SetCellValue("Sheet1", fmt.Sprintf("A%d", r), strings.Repeat("a", 96))
		f.SetCellValue("Sheet1", fmt.Sprintf("B%d", r), "PLACEHOLDER")
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	out, _ := os.Create(path)
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, e := range zr.File {
		r, _ := e.Open()
		data, _ := io.ReadAll(r)
		if e.Name == "xl/sharedStrings.xml" {
			data = bytes.Replace(data, []byte("PLACEHOLDER"), bytes.Repeat([]byte("A"), size), 1)
		}
		w, _ := zw.Create(e.Name)
		w.Write(data)
	}
	zw.Close()
}
