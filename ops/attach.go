package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sync/semaphore"

	"batch/ssintegral"
)

// MaxAdjuntos bounds the files attached to one invoice: an e-mail larger
// than this is refused by most mail servers on the way.
const MaxAdjuntos = 20 << 20

// MaxInFlight bounds the attachment and answer bytes of every e-mail in
// flight together, so that memory stays bounded whatever the sheet names.
const MaxInFlight = 200 << 20

// attachment is a file an Adjuntos cell names, found inside its root.
type attachment struct {
	root string // the folder the file must stay inside
	name string // its path relative to root
	size int64  // its size when it was found
}

// attachments opens the files of Adjuntos cells inside a root folder, the
// input file's own unless one is named, and nothing outside it: os.Root
// refuses absolute paths, "..", and symbolic links that lead out, in the
// kernel's terms. Devices, pipes and files with other names (hard links)
// are refused too, and sizes are checked on what is read, not on a stat.
type attachments struct {
	root   string // the root named by the person, or "" for each input's folder
	mu     sync.Mutex
	roots  map[string]*os.Root
	budget *semaphore.Weighted
}

func newAttachments(root string) *attachments {
	return &attachments{root: root, roots: map[string]*os.Root{}, budget: semaphore.NewWeighted(MaxInFlight)}
}

// close releases the roots opened.
func (a *attachments) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range a.roots {
		r.Close()
	}
	a.roots = map[string]*os.Root{}
}

// find checks every path of an Adjuntos cell (separated by ;) without
// reading the files.
func (a *attachments) find(cell, inputFile string) ([]attachment, string) {
	root := a.root
	if root == "" {
		root = filepath.Dir(inputFile)
	}
	var (
		out   []attachment
		total int64
	)
	for _, p := range strings.Split(cell, ";") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		f, info, problem := a.open(root, p)
		if problem != "" {
			return nil, problem
		}
		f.Close()
		if total += info.Size(); total > MaxAdjuntos {
			return nil, fmt.Sprintf("Adjuntos: pesan más de %d MB, el máximo para un correo", MaxAdjuntos>>20)
		}
		out = append(out, attachment{root: root, name: p, size: info.Size()})
	}
	return out, ""
}

// open opens one file inside root for reading, or says why it may not.
func (a *attachments) open(root, p string) (*os.File, fs.FileInfo, string) {
	name := filepath.FromSlash(p)
	if filepath.IsAbs(name) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return nil, nil, fmt.Sprintf("Adjuntos: «%s» es una ruta absoluta; escriba la ruta relativa a la carpeta de adjuntos (%s)", p, root)
	}
	if !filepath.IsLocal(name) {
		return nil, nil, fmt.Sprintf("Adjuntos: «%s» queda fuera de la carpeta de adjuntos (%s)", p, root)
	}
	r, problem := a.rootOf(root)
	if problem != "" {
		return nil, nil, problem
	}
	// O_NONBLOCK: opening a pipe must not wait for a writer.
	f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Sprintf("Adjuntos: no se encuentra el archivo «%s»", p)
	case err != nil:
		return nil, nil, fmt.Sprintf("Adjuntos: «%s» no se puede abrir dentro de la carpeta de adjuntos (%s): un enlace que sale de ella o un archivo sin permiso de lectura", p, root)
	}
	info, err := f.Stat()
	problem = ""
	switch {
	case err != nil:
		problem = fmt.Sprintf("Adjuntos: no se pudo leer «%s»: %v", p, err)
	case !info.Mode().IsRegular():
		problem = fmt.Sprintf("Adjuntos: «%s» no es un archivo", p)
	case links(f, info) > 1:
		problem = fmt.Sprintf("Adjuntos: «%s» tiene otros nombres (enlaces duros) y podría ser un archivo de fuera de la carpeta de adjuntos; adjunte una copia", p)
	}
	if problem != "" {
		f.Close()
		return nil, nil, problem
	}
	return f, info, ""
}

// rootOf opens (once) the root folder. The system's pseudo-filesystems
// are never a root: their files report no size and hold the process's
// secrets.
func (a *attachments) rootOf(dir string) (*os.Root, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.roots[dir]; ok {
		return r, ""
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Sprintf("Adjuntos: la carpeta de adjuntos %s no existe", dir)
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	for _, sys := range []string{"/proc", "/sys", "/dev"} {
		if real == "/" || real == sys || strings.HasPrefix(real, sys+"/") {
			return nil, fmt.Sprintf("Adjuntos: la carpeta %s no puede ser la carpeta de adjuntos; use la de los archivos de las facturas", dir)
		}
	}
	r, err := os.OpenRoot(real)
	if err != nil {
		return nil, fmt.Sprintf("Adjuntos: no se puede abrir la carpeta de adjuntos %s", dir)
	}
	a.roots[dir] = r
	return r, ""
}

// read returns the invoice with its attachments' content, once the bytes
// in flight leave room for them and the answer. release gives the room
// back when the answer has been read.
func (a *attachments) read(ctx context.Context, f ssintegral.Factura, files []attachment) (ssintegral.Factura, func(), string) {
	var size int64
	for _, file := range files {
		size += file.size
	}
	weight := min(size, MaxAdjuntos) + ssintegral.MaxAnswer
	if err := a.budget.Acquire(ctx, weight); err != nil {
		return f, nil, "la ejecución se detuvo antes de leer los adjuntos"
	}
	release := func() { a.budget.Release(weight) }
	f.Adjuntos = make([]ssintegral.Adjunto, len(files))
	left := min(size, MaxAdjuntos)
	for i, file := range files {
		content, problem := a.load(file, left)
		if problem != "" {
			release()
			return f, nil, problem
		}
		left -= int64(len(content))
		f.Adjuntos[i] = ssintegral.Adjunto{Nombre: filepath.Base(file.name), Contenido: content}
	}
	return f, release, ""
}

// load reads one file, at most left bytes: a file that grew since it was
// found is refused, however its size is reported.
func (a *attachments) load(file attachment, left int64) ([]byte, string) {
	h, _, problem := a.open(file.root, file.name)
	if problem != "" {
		return nil, problem
	}
	defer h.Close()
	content, err := io.ReadAll(io.LimitReader(h, left+1))
	switch {
	case err != nil:
		return nil, fmt.Sprintf("Adjuntos: no se pudo leer «%s»: %v", file.name, err)
	case int64(len(content)) > left:
		return nil, fmt.Sprintf("Adjuntos: «%s» creció desde que se revisó y pasa el máximo de %d MB por correo", file.name, MaxAdjuntos>>20)
	}
	return content, ""
}
