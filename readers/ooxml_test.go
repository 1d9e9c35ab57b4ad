package readers

import "testing"

// A date cell reads as its format shows it, and a time's minutes are not
// taken for months.
func TestDateShownByItsFormat(t *testing.T) {
	const serial = 46345.5 // 2026-11-19 12:00
	for code, want := range map[string]string{
		"dd/mm/yyyy":            "19/11/2026",
		"mm/dd/yy":              "11/19/26",
		"d-mmm-yy":              "19-nov-26",
		`dddd d "de" mmmm`:      "jueves 19 de noviembre",
		"yyyy-mm-dd hh:mm":      "2026-11-19 12:00",
		"[$-240A]dd/mm/yyyy":    "19/11/2026",
		"hh:mm:ss":              "12:00:00",
		"dd/mm/yyyy h:mm AM/PM": "2026-11-19 12:00:00",
	} {
		if got := dateShown(serial, code); got != want {
			t.Errorf("dateShown(%q) = %q, want %q", code, got, want)
		}
	}
	for code, date := range map[string]bool{"dd/mm/yyyy": true, "#,##0.00": false, `0.00 "días"`: false, "[h]:mm": true, "General": false, `[Red]#,##0;[Blue]-#,##0`: false} {
		if DateFormat(0, code) != date {
			t.Errorf("DateFormat(%q) = %v", code, !date)
		}
	}
}
