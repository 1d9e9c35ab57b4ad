package cells

import (
	"strconv"
	"strings"
	"time"
)

// NormalizeDate reads the dates people type or spreadsheets show
// (2025-01-30, 30/01/2025, 30-01-2025, 2025/01/30, 30-Jan-2025, 30-ene-2025)
// and the serial numbers a spreadsheet stores (45687, in days since
// 1899-12-30) as AAAA-MM-DD.
func NormalizeDate(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if serial, err := strconv.ParseFloat(s, 64); err == nil {
		// 1982 to 2119: beyond that a number is not a date someone meant.
		if serial < 30000 || serial > 80000 {
			return "", false
		}
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(serial)).Format("2006-01-02"), true
	}
	if i := strings.IndexAny(s, "T "); i == 10 {
		s = s[:10]
	}
	s = spanishMonths.Replace(strings.ToLower(s))
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006", "02-01-2006", "2006/01/02", "02-Jan-2006", "2-Jan-2006", "02-Jan-06", "2-Jan-06"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// spanishMonths turns the month abbreviations of a Spanish spreadsheet
// into the ones time.Parse reads (it matches month names in any case).
var spanishMonths = strings.NewReplacer("-ene-", "-jan-", "-abr-", "-apr-", "-ago-", "-aug-", "-dic-", "-dec-",
	"-jan-", "-jan-", "-feb-", "-feb-", "-mar-", "-mar-", "-apr-", "-apr-", "-may-", "-may-", "-jun-", "-jun-",
	"-jul-", "-jul-", "-aug-", "-aug-", "-sep-", "-sep-", "-oct-", "-oct-", "-nov-", "-nov-", "-dec-", "-dec-")
