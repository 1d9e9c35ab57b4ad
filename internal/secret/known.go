package secret

import (
	"io"
	"os"
	"slices"
	"sync"
)

// Known are the secrets one process has learnt so far, for everything it
// writes: more are added as a configuration names their variables.
type Known struct {
	mu     sync.RWMutex
	values []string
	mask   *Mask
}

// Add makes values known; empty ones are not secrets.
func (k *Known) Add(values ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, v := range values {
		if v != "" && !slices.Contains(k.values, v) {
			k.values = append(k.values, v)
		}
	}
	k.mask = New(k.values...)
}

// Text is t with every secret known masked.
func (k *Known) Text(t string) string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.mask == nil {
		return t
	}
	return k.mask.Text(t)
}

// Writer passes what is written on to W with every secret Known masked,
// whatever a file or an answer quotes.
type Writer struct {
	W     io.Writer
	Known *Known
}

func (m *Writer) Write(b []byte) (int, error) {
	if _, err := io.WriteString(m.W, m.Known.Text(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Terminal is W when it is a file (a terminal, perhaps), for a progress
// bar, which draws only counts and its own words.
func (m *Writer) Terminal() *os.File {
	f, _ := m.W.(*os.File)
	return f
}

// KnownOf are the secrets masked in what is written to w: a Writer's, or
// a new set.
func KnownOf(w io.Writer) *Known {
	if m, ok := w.(*Writer); ok {
		return m.Known
	}
	return &Known{}
}
