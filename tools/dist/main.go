// Command dist is `make dist`: batch for every system it runs on, each in
// an archive with the README and that system's deploy examples, and their
// SHA256SUMS. Two runs on the same commit give the same bytes: no path,
// build ID or clock of the build machine goes in, and every archive entry
// carries the commit's date.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

var targets = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"windows", "amd64"}, {"windows", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// extras are the files each archive carries beside the program, by system.
var extras = map[string][]string{
	"linux": {"README.md", "deploy/batch-nocturno.service", "deploy/batch-nocturno.timer", "deploy/crontab.ejemplo", "deploy/config.toml.ejemplo", "deploy/batch.env.ejemplo", "deploy/instalar.sh",
		"deploy/batch-aviso@.service", "deploy/avisar.sh"},
	"darwin":  {"README.md", "deploy/crontab.ejemplo", "deploy/config.toml.ejemplo", "deploy/batch.env.ejemplo"},
	"windows": {"README.md", "deploy/tarea-programada.xml", "deploy/instalar-windows.ps1", "deploy/noche.ps1", "deploy/config.toml.ejemplo"},
}

// manual is the README's manual, carried by every archive.
var manual = []string{"docs/CONFIGURACION.md", "docs/ENTRADA.md", "docs/RESULTADOS.md", "docs/DIARIO.md", "docs/OPERACION.md", "docs/SEGURIDAD.md",
	"docs/capturas/resultados-1.png", "docs/capturas/resultados-2.png", "docs/capturas/resultados-3.png"}

func main() {
	version, commit, date := git("describe", "--tags", "--always", "--dirty"), git("rev-parse", "HEAD"), git("log", "-1", "--format=%cI")
	when, err := time.Parse(time.RFC3339, date)
	check(err)
	out := "dist"
	check(os.RemoveAll(out))
	check(os.MkdirAll(out, 0o755))
	var sums []string
	for _, t := range targets {
		name := fmt.Sprintf("batch_%s_%s_%s", version, t[0], t[1])
		bin := filepath.Join(out, name+".bin")
		build(t[0], t[1], bin, version, commit, date)
		exe := "batch"
		if t[0] == "windows" {
			exe = "batch.exe"
		}
		files := map[string]string{name + "/" + exe: bin}
		for _, f := range extras[t[0]] {
			files[name+"/"+filepath.Base(f)] = f
		}
		// The manual, where the README's links find it.
		for _, f := range manual {
			files[name+"/"+filepath.ToSlash(f)] = f
		}
		// The samples, so that `batch run --sandbox` on them shows what
		// `make run` does, on any system.
		samples, err := filepath.Glob("samples/*.*")
		check(err)
		attached, err := filepath.Glob("samples/adjuntos/*")
		check(err)
		for _, f := range append(samples, attached...) {
			if !strings.Contains(f, "resultados") {
				files[name+"/"+filepath.ToSlash(f)] = f
			}
		}
		archive := filepath.Join(out, name+".tar.gz")
		if t[0] == "windows" {
			archive = filepath.Join(out, name+".zip")
			writeZip(archive, files, when)
		} else {
			writeTarGz(archive, files, when)
		}
		check(os.Remove(bin))
		sums = append(sums, sum(archive)+"  "+filepath.Base(archive))
		fmt.Println(archive)
	}
	sort.Strings(sums)
	check(os.WriteFile(filepath.Join(out, "SHA256SUMS"), []byte(strings.Join(sums, "\n")+"\n"), 0o644))
	fmt.Println(filepath.Join(out, "SHA256SUMS"))
}

func build(goos, goarch, out, version, commit, date string) {
	ld := fmt.Sprintf("-s -w -buildid= -X batch.Version=%s -X batch.Commit=%s -X batch.Date=%s", version, commit, date)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ld, "-o", out, "./cmd/batch")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run())
}

// entries are an archive's names in order, each with its mode.
func entries(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func mode(name string) int64 {
	if base := filepath.Base(name); base == "batch" || base == "batch.exe" || strings.HasSuffix(base, ".sh") {
		return 0o755
	}
	return 0o644
}

func writeTarGz(path string, files map[string]string, when time.Time) {
	f, err := os.Create(path)
	check(err)
	defer f.Close()
	gz, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	check(err)
	gz.ModTime = when // the header's time is the commit's, not now
	tw := tar.NewWriter(gz)
	for _, name := range entries(files) {
		b, err := os.ReadFile(files[name])
		check(err)
		check(tw.WriteHeader(&tar.Header{Name: name, Mode: mode(name), Size: int64(len(b)), ModTime: when, Format: tar.FormatPAX, Uname: "root", Gname: "root"}))
		_, err = tw.Write(b)
		check(err)
	}
	check(tw.Close())
	check(gz.Close())
}

func writeZip(path string, files map[string]string, when time.Time) {
	f, err := os.Create(path)
	check(err)
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, name := range entries(files) {
		b, err := os.ReadFile(files[name])
		check(err)
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: when.UTC()}
		h.SetMode(os.FileMode(mode(name)))
		w, err := zw.CreateHeader(h)
		check(err)
		_, err = w.Write(b)
		check(err)
	}
	check(zw.Close())
}

func sum(path string) string {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	check(err)
	return hex.EncodeToString(h.Sum(nil))
}

func git(args ...string) string {
	out, err := exec.Command("git", args...).Output()
	check(err)
	return strings.TrimSpace(string(out))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}
