package readers

import (
	"strings"
	"unicode"
)

// CleanCell trims what spreadsheets and ERPs leave around a value: spaces,
// non-breaking and zero-width spaces, a stray byte-order mark.
func CleanCell(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || r == '\ufeff'
	})
}

func cleanAll(cells []string) (out []string, blank bool) {
	blank = true
	for i, c := range cells {
		c = CleanCell(c)
		cells[i] = c
		if c != "" {
			blank = false
		}
	}
	return cells, blank
}
