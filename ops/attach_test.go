package ops

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"batch/ssintegral"
)

// attachDirs makes an input folder with one file inside, and beside it a
// secret that nothing may reach, with a symbolic link to it from inside.
func attachDirs(t testing.TB) (in, secret string) {
	t.Helper()
	dir := t.TempDir()
	in = filepath.Join(dir, "entrada")
	os.MkdirAll(filepath.Join(in, "sub"), 0o755)
	os.WriteFile(filepath.Join(in, "orden.pdf"), []byte("%PDF orden"), 0o644)
	os.WriteFile(filepath.Join(in, "sub", "acta.txt"), []byte("acta"), 0o644)
	secret = filepath.Join(dir, "secreto.txt")
	os.WriteFile(secret, []byte("SECRETO-DE-FUERA"), 0o600)
	os.Symlink(secret, filepath.Join(in, "enlace"))
	os.Symlink("../secreto.txt", filepath.Join(in, "relativo"))
	os.Symlink("sub/acta.txt", filepath.Join(in, "dentro"))
	return in, secret
}

// A file that grows after it was checked is refused on the bytes read,
// whatever its size says; the bytes in flight wait for room.
func TestAttachmentsReadBoundedBytes(t *testing.T) {
	in, _ := attachDirs(t)
	a := newAttachments("")
	defer a.close()
	files, problem := a.find("orden.pdf; dentro", filepath.Join(in, "e.csv"))
	if problem != "" || len(files) != 2 {
		t.Fatalf("find: %v %q", files, problem)
	}
	f, release, problem := a.read(context.Background(), ssintegral.Factura{}, files)
	if problem != "" || string(f.Adjuntos[1].Contenido) != "acta" || f.Adjuntos[1].Nombre != "dentro" {
		t.Fatalf("read: %+v %q", f.Adjuntos, problem)
	}
	release()
	os.WriteFile(filepath.Join(in, "orden.pdf"), bytes.Repeat([]byte("x"), 4096), 0o644)
	if _, _, problem := a.read(context.Background(), ssintegral.Factura{}, files); !strings.Contains(problem, "creció") {
		t.Errorf("a file that grew: %q", problem)
	}
	a.budget = semaphore.NewWeighted(ssintegral.MaxAnswer + 20)
	_, hold, _ := a.read(context.Background(), ssintegral.Factura{}, files[1:])
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, problem := a.read(ctx, ssintegral.Factura{}, files[1:]); problem == "" {
		t.Errorf("a second e-mail's bytes went out while the budget was spent")
	}
	hold()
	if _, release, problem := a.read(context.Background(), ssintegral.Factura{}, files[1:]); problem != "" {
		t.Errorf("after release: %q", problem)
	} else {
		release()
	}
}

// FuzzAttachmentPath: whatever an Adjuntos cell says, what is read comes
// from inside the input's folder, never the secret beside it.
func FuzzAttachmentPath(f *testing.F) {
	for _, s := range []string{"orden.pdf", "sub/acta.txt", "../secreto.txt", "enlace", "relativo", "dentro", "/etc/passwd",
		"sub/../../secreto.txt", "./orden.pdf;sub/acta.txt", "sub//acta.txt", "..", ".", "C:\\secreto.txt", "sub\\..\\..\\secreto.txt", "orden.pdf\x00x"} {
		f.Add(s)
	}
	in, secret := attachDirs(f)
	a := newAttachments("")
	f.Cleanup(a.close)
	f.Fuzz(func(t *testing.T, cell string) {
		files, problem := a.find(cell, filepath.Join(in, "e.csv"))
		if problem != "" {
			return
		}
		for _, file := range files {
			if file.root != in {
				t.Fatalf("%q: root %s", cell, file.root)
			}
		}
		fa, release, problem := a.read(context.Background(), ssintegral.Factura{}, files)
		if problem != "" {
			return
		}
		defer release()
		for _, adj := range fa.Adjuntos {
			if bytes.Contains(adj.Contenido, []byte("SECRETO-DE-FUERA")) {
				t.Fatalf("%q read %s (%s)", cell, adj.Nombre, secret)
			}
		}
	})
}
