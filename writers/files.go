package writers

import (
	"archive/zip"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"batch/internal/diskerr"

	"github.com/xuri/excelize/v2"
)

// What batch wrote, as a workbook's custom property "batch" says: the next
// night's reading leaves such a workbook alone whatever its name.
const (
	markProperty   = "batch"
	KindResultados = "resultados"
	KindRevision   = "revision"
	KindNoche      = "noche"
	KindPendientes = "pendientes"
)

// mark writes which of batch's workbooks f is into its properties.
func mark(f *excelize.File, kind string) error {
	if err := f.SetCustomProps(excelize.CustomProperty{Name: markProperty, Value: kind}); err != nil {
		return fmt.Errorf("no se pudo marcar el libro: %w", err)
	}
	return nil
}

// Written says which of batch's workbooks the .xlsx at path is, by the
// mark in its properties ("" for any other file, or one that cannot be
// read as a workbook). Only the properties are read, not the sheets.
func Written(path string) string {
	z, err := zip.OpenReader(path)
	if err != nil {
		return ""
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name != "docProps/custom.xml" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return ""
		}
		defer r.Close()
		var props struct {
			Property []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"lpwstr"`
			} `xml:"property"`
		}
		if xml.NewDecoder(io.LimitReader(r, 1<<16)).Decode(&props) != nil {
			return ""
		}
		for _, p := range props.Property {
			if p.Name == markProperty {
				return p.Value
			}
		}
	}
	return ""
}

// newTemp creates the file a workbook is written to before it takes its
// place at path: new (never an existing file or a link planted there),
// beside path so that the rename is atomic, and with the permissions the
// process's umask gives any new file, never executable.
func newTemp(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	for range 100 {
		var b [6]byte
		rand.Read(b[:])
		name := filepath.Join(dir, "."+filepath.Base(path)+"."+hex.EncodeToString(b[:])+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, unsaved(err, path, "no se puede escribir en "+dir)
		}
		return f, nil
	}
	return nil, fmt.Errorf("no se puede escribir en %s: demasiados archivos temporales", dir)
}

// saveAs writes f to path through a new temporary file and a rename: a
// reader never sees half a workbook, and a link planted at path is
// replaced, not followed.
func saveAs(f *excelize.File, path string) error {
	tmp, err := newTemp(path)
	if err != nil {
		return err
	}
	if _, err := f.WriteTo(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return unsaved(err, path, "no se pudo guardar "+path)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return unsaved(err, path, "no se pudo guardar "+path)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return unsaved(err, path, "no se pudo guardar "+path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return unsaved(err, path, "no se pudo poner el libro en "+path)
	}
	return nil
}

// unsaved is why a workbook could not be written at path: the disk's
// refusal in words a person can act on, or what failed, with its cause.
func unsaved(err error, path, what string) error {
	if worded, ok := diskerr.Of(err, filepath.Dir(path), "el libro "+filepath.Base(path)); ok {
		return worded
	}
	return fmt.Errorf("%s: %w", what, err)
}
