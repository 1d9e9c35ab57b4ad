package ssintegral

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"batch"
)

// An answer carries the invoice's XML and PDF in base64: a few megabytes
// for a real invoice, more for one with many pages or images. They are
// written to files as they are read, and the rest of the answer, which is
// small, is decoded in memory: an answer of any size up to the bounds
// below is read whole, in little memory.
const (
	// MaxAnswer bounds what of an answer is held in memory: all but the
	// attachments' content. Callers that bound memory count it for every
	// request in flight.
	MaxAnswer = 1 << 20
	// MaxAttachment bounds each file an answer carries, decoded: far
	// above any invoice's PDF or XML.
	MaxAttachment = 256 << 20
)

// maxSpooled bounds the files an answer may carry: it has three.
const maxSpooled = 8

// spooledTags are the elements whose base64 content goes to a file, and
// ResponseDIAN's, which is read past and not kept.
var spooledTags = map[string]bool{"xml": true, "FacturaPDF": true, "ResponseDIAN": true}

// Spooled is an attachment of an answer, in a file of its own, on disk,
// that the caller moves where it belongs or removes.
type Spooled struct {
	Path string
	Size int64
}

// spooler passes an answer's XML on with the base64 content of the
// spooled elements replaced by the index of the file it was written to.
type spooler struct {
	in    *bufio.Reader
	dir   string
	out   bytes.Buffer // decoded text waiting to be read
	held  int64        // bytes of the answer passed on so far
	files []Spooled    // the attachments written; a skipped one has no Path
	err   error
}

func newSpooler(r io.Reader, dir string) *spooler {
	return &spooler{in: bufio.NewReaderSize(r, 64<<10), dir: dir}
}

// Read gives the answer with the attachments' content out of it.
func (s *spooler) Read(p []byte) (int, error) {
	for s.out.Len() == 0 && s.err == nil {
		s.err = s.step()
	}
	if s.out.Len() > 0 {
		return s.out.Read(p)
	}
	return 0, s.err
}

// step passes on the text up to the next tag, then the tag; after the
// start tag of a spooled element, its content goes to a file.
func (s *spooler) step() error {
	text, err := s.in.ReadSlice('<')
	if errors.Is(err, bufio.ErrBufferFull) {
		return s.pass(text)
	}
	if err != nil {
		if perr := s.pass(text); perr != nil {
			return perr
		}
		return err
	}
	if err := s.pass(text); err != nil {
		return err
	}
	tag, err := s.in.ReadSlice('>')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return errors.New("una etiqueta de más de 64 KB")
		}
		return err
	}
	if err := s.pass(tag); err != nil {
		return err
	}
	name := string(tag)
	if i := strings.IndexAny(name, " \t\r\n/>"); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	if !spooledTags[name] || strings.HasSuffix(string(tag), "/>") || strings.ContainsAny(string(tag[:1]), "/?!") {
		return nil
	}
	return s.spool(name)
}

// pass hands text on, within MaxAnswer.
func (s *spooler) pass(text []byte) error {
	if s.held += int64(len(text)); s.held > MaxAnswer {
		return fmt.Errorf("la respuesta, sin sus adjuntos, pasa de %d MB", MaxAnswer>>20)
	}
	s.out.Write(text)
	return nil
}

// spool writes the base64 content of the element just opened, up to its
// end tag, decoded, to a file of its own (ResponseDIAN's to nothing), and
// passes on the file's index in its place.
func (s *spooler) spool(name string) error {
	var (
		w    io.Writer = io.Discard
		file *os.File
	)
	if len(s.files) >= maxSpooled {
		return fmt.Errorf("la respuesta trae más de %d archivos", maxSpooled)
	}
	if name != "ResponseDIAN" {
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return err
		}
		f, err := os.CreateTemp(s.dir, ".correo-*.tmp")
		if err != nil {
			return err
		}
		file, w = f, f
	}
	size, err := decodeUntilTag(s.in, w, name)
	if file != nil {
		// On disk before the answer is taken as read: the caller only
		// moves it.
		if err == nil {
			err = file.Sync()
		}
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(file.Name())
			return err
		}
		s.files = append(s.files, Spooled{Path: file.Name(), Size: size})
	} else {
		s.files = append(s.files, Spooled{Size: size})
	}
	if err != nil {
		return err
	}
	return s.pass(fmt.Appendf(nil, "%s%d", spoolMark, len(s.files)-1))
}

// spoolMark begins the text that stands for a spooled element's content.
const spoolMark = "archivo-recibido:"

// file is the attachment a spooled element's text stands for.
func (s *spooler) file(text string) (Spooled, bool) {
	var i int
	if _, err := fmt.Sscanf(strings.TrimSpace(text), spoolMark+"%d", &i); err != nil || i < 0 || i >= len(s.files) || s.files[i].Path == "" {
		return Spooled{}, false
	}
	return s.files[i], true
}

// described is the answer's text as the journal keeps it: each attachment
// by its size.
func (s *spooler) described(text string) string {
	for i := len(s.files) - 1; i >= 0; i-- {
		text = strings.ReplaceAll(text, fmt.Sprintf("%s%d", spoolMark, i), fmt.Sprintf("[%d bytes en base64]", s.files[i].Size))
	}
	return text
}

// keepOnly removes the files written that the answer does not name.
func (s *spooler) keepOnly(a batch.Answer) {
	for _, f := range s.files {
		kept := false
		for _, v := range a.Values {
			if sp, ok := v.(Spooled); ok && sp.Path == f.Path {
				kept = true
			}
		}
		if f.Path != "" && !kept {
			os.Remove(f.Path)
		}
	}
}

// decodeUntilTag decodes base64 text from in up to the next '<' (left for
// the caller) into w: white space and the character references an
// encoder writes for line breaks are skipped, and the file is bounded by
// MaxAttachment.
func decodeUntilTag(in *bufio.Reader, w io.Writer, name string) (int64, error) {
	var (
		quad    = make([]byte, 0, 48<<10)
		written int64
		out     = make([]byte, 36<<10)
	)
	flush := func(final bool) error {
		n := len(quad)
		if !final {
			n -= n % 4
		}
		if n == 0 {
			return nil
		}
		m, err := base64.StdEncoding.Decode(out, quad[:n])
		if err != nil {
			return fmt.Errorf("el contenido de <%s> no es base64: %w", name, err)
		}
		if written += int64(m); written > MaxAttachment {
			return fmt.Errorf("el archivo de <%s> pasa de %d MB", name, MaxAttachment>>20)
		}
		if _, err := w.Write(out[:m]); err != nil {
			return err
		}
		quad = append(quad[:0], quad[n:]...)
		return nil
	}
	for {
		b, err := in.ReadByte()
		if err != nil {
			return written, err
		}
		switch {
		case b == '<':
			in.UnreadByte()
			return written, flush(true)
		case b == ' ' || b == '\t' || b == '\r' || b == '\n':
		case b == '&':
			ref, err := in.ReadString(';')
			if err != nil || len(ref) > 8 {
				return written, fmt.Errorf("el contenido de <%s> tiene una referencia que no se entiende", name)
			}
			switch ref {
			case "#xD;", "#xA;", "#13;", "#10;", "#x9;", "#9;", "#x20;", "#32;":
			default:
				return written, fmt.Errorf("el contenido de <%s> tiene «&%s», que no es base64", name, ref)
			}
		default:
			if quad = append(quad, b); len(quad) == cap(quad) {
				if err := flush(false); err != nil {
					return written, err
				}
			}
		}
	}
}
