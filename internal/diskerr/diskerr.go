// Package diskerr words the disk's own refusals — full, read-only, not
// the process's to write — in Spanish, with what to do, for the files a
// night writes: the workbooks, the summary, the journal.
package diskerr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"batch"
)

// Of is err worded as the disk's refusal to write what in dir, when that
// is its cause (a *batch.Error of KindDisk that wraps it; ok), or err
// itself.
func Of(err error, dir, what string) (worded error, ok bool) {
	var msg string
	switch {
	case err == nil:
		return nil, false
	case errors.As(err, new(*batch.Error)):
		return err, false // already worded
	case full(err):
		msg = fmt.Sprintf("no queda espacio en el disco de %s para %s: libere espacio (o elija una carpeta en otro disco) y vuelva a ejecutar batch", dir, what)
	case errors.Is(err, syscall.EROFS):
		msg = fmt.Sprintf("%s está en un disco de solo lectura y no se pudo escribir %s: elija una carpeta en la que se pueda escribir", dir, what)
	case errors.Is(err, fs.ErrPermission):
		msg = fmt.Sprintf("el usuario que corre batch no puede escribir %s en %s (permiso denegado): dele permiso de escritura en esa carpeta o elija otra", what, dir)
	default:
		return err, false
	}
	return &wrapped{worded: &batch.Error{Kind: batch.KindDisk, Msg: msg}, err: err}, true
}

// wrapped is the worded error, with the system's own below it.
type wrapped struct {
	worded *batch.Error
	err    error
}

func (w *wrapped) Error() string   { return w.worded.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.worded, w.err} }
