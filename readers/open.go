package readers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// openInput opens an input file within its own folder: a link that leads
// out of the folder is refused, and so is anything but a regular file. The
// file is opened without blocking, so a FIFO or a device dropped in the
// folder answers at once instead of hanging the night.
func openInput(path string) (*os.File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, inputErr(path, "no se pudo abrir: %v", err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, inputErr(path, "el archivo no existe")
		}
		return nil, inputErr(path, "no se pudo abrir: %v", err)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil && !strings.HasPrefix(real, dir+string(filepath.Separator)) {
		return nil, inputErr(path, "es un enlace que lleva fuera de su carpeta: no se lee (copie el archivo a la carpeta)")
	}
	f, err := os.OpenFile(real, os.O_RDONLY|nonBlocking, 0)
	if err != nil {
		return nil, inputErr(path, "no se pudo abrir: %v", err)
	}
	st, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, inputErr(path, "no se pudo abrir: %v", err)
	case st.IsDir():
		f.Close()
		return nil, inputErr(path, "es una carpeta, no un archivo")
	case !st.Mode().IsRegular():
		f.Close()
		return nil, inputErr(path, "no es un archivo común (una tubería, un dispositivo): no se lee")
	}
	return f, nil
}
