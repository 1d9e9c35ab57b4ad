package diskerr

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"

	"batch"
)

// The disk's refusals are worded in Spanish with what to do, and still
// are what they were underneath; any other error is left as it is.
func TestTheDisksRefusals(t *testing.T) {
	t.Parallel()
	for errno, want := range map[syscall.Errno]string{
		syscall.ENOSPC: "no queda espacio en el disco de /srv/batch para el libro: libere espacio",
		syscall.EROFS:  "/srv/batch está en un disco de solo lectura",
		syscall.EACCES: "no puede escribir el libro en /srv/batch (permiso denegado)",
	} {
		raw := &fs.PathError{Op: "write", Path: "/srv/batch/x.tmp", Err: errno}
		err, ok := Of(raw, "/srv/batch", "el libro")
		var be *batch.Error
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "no space") || !ok || !errors.As(err, &be) || be.Kind != batch.KindDisk || !errors.Is(err, errno) {
			t.Errorf("%v: %v", errno, err)
		}
	}
	if other := os.ErrDeadlineExceeded; func() bool { err, ok := Of(other, "/x", "y"); return ok || err != other }() {
		t.Error("an error that is not the disk's was reworded")
	}
}
