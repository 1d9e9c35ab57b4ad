package pipeline

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"path/filepath"
	"strings"

	"batch/nit"

	"batch"
)

// first is where a key was first seen.
type first struct {
	sheet  *batch.Sheet
	line   int
	reused bool // answered from an earlier run's journal
}

func (f *first) place() string { return fmt.Sprintf("la hoja «%s», fila %d", f.sheet.Name, f.line) }

func place(row batch.Row) string {
	return (&first{sheet: row.Sheet, line: row.Line}).place()
}

// origin is where a row is, and which invoice it names.
func origin(row batch.Row) batch.Origin {
	o := batch.Origin{Source: source(row), Supplier: nit.Canonical(row.Get(batch.FieldNITEmisor))}
	if number := strings.TrimSpace(cmp.Or(row.Get(batch.FieldNumeroFactura), row.Get(batch.FieldNumeroDocumento))); number != "" {
		o.Invoice = strings.TrimSpace(strings.TrimSpace(row.Get(batch.FieldPrefijo)) + " " + number)
	}
	return o
}

// source is where a row is, as the journal keeps it for a person to find
// it again: the file, its sheet (a CSV has only its own) and the row.
func source(row batch.Row) string {
	if row.Sheet == nil {
		return ""
	}
	file := filepath.Base(row.Sheet.File)
	if row.Sheet.Name == file {
		return fmt.Sprintf("%s, fila %d", file, row.Line)
	}
	return fmt.Sprintf("%s, hoja «%s», fila %d", file, row.Sheet.Name, row.Line)
}

// keyID is a key's hash. Two independent 64-bit hashes make a collision
// between two CUFEs of one run (which would leave one unsent) a 1 in 2^100
// event for a million keys.
type keyID [2]uint64

// keySet is the distinct keys of one operation seen so far in the run.
// Every key keeps 24 bytes: its hash and where it was first seen, packed.
// Its job is held apart, and only until its result can be read back from
// the journal, so memory stays flat however many rows the inputs have.
type keySet struct {
	seeds  [2]maphash.Seed
	firsts map[keyID]uint64
	jobs   map[keyID]*job
	sheets *sheetList
}

// sheetList numbers the sheets for the packed places of every key set.
type sheetList struct {
	list  []*batch.Sheet
	index map[*batch.Sheet]uint64
}

func (l *sheetList) number(s *batch.Sheet) uint64 {
	n, ok := l.index[s]
	if !ok {
		n = uint64(len(l.list))
		l.index[s] = n
		l.list = append(l.list, s)
	}
	return n
}

func newKeySet(sheets *sheetList) *keySet {
	return &keySet{
		seeds:  [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		firsts: map[keyID]uint64{},
		jobs:   map[keyID]*job{},
		sheets: sheets,
	}
}

// A packed place: the row's line above bit 29, the number of the shared
// result of a key never sent (plus one) in bits 21 to 28, the sheet's
// number in bits 1 to 20, and whether the key was answered from the
// journal in bit 0.
func (k *keySet) add(id keyID, f first) {
	v := uint64(f.line)<<29 | k.sheets.number(f.sheet)<<1
	if f.reused {
		v |= 1
	}
	k.firsts[id] = v
}

func (k *keySet) first(id keyID) (first, bool) {
	v, ok := k.firsts[id]
	if !ok {
		return first{}, false
	}
	return first{sheet: k.sheets.list[v>>1&(1<<20-1)], line: int(v >> 29), reused: v&1 == 1}, true
}

// maxShared bounds the distinct results of keys never sent that are
// shared (what bits 21 to 28 of a packed place hold); past it, each key
// keeps its own job.
const maxShared = 255

// markUnsent records that a key was never sent and has the shared result
// n, in place of its job: a key costs its 24 bytes whatever became of it.
func (k *keySet) markUnsent(id keyID, n int) {
	k.firsts[id] = k.firsts[id]&^(0xff<<21) | uint64(n+1)<<21
	delete(k.jobs, id)
}

// unsent is the shared result a key never sent has, if it has one.
func (k *keySet) unsent(id keyID) (int, bool) {
	n := int(k.firsts[id] >> 21 & 0xff)
	return n - 1, n > 0
}

func (k *keySet) id(key string) keyID {
	return keyID{maphash.String(k.seeds[0], key), maphash.String(k.seeds[1], key)}
}
