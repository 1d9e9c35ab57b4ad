package cells

import (
	"testing"
	"time"
)

func TestNumberInEachConvention(t *testing.T) {
	cases := []struct {
		in        string
		c         Convention
		want      float64
		decimals  int
		grouped   bool
		notNumber bool
	}{
		{in: "1.619.176,22", c: DecimalComma, want: 1619176.22, decimals: 2, grouped: true},
		{in: "1619176,22", c: DecimalComma, want: 1619176.22, decimals: 2},
		{in: "8453536.29", c: DecimalPoint, want: 8453536.29, decimals: 2},
		{in: "8,453,536.29", c: DecimalPoint, want: 8453536.29, decimals: 2, grouped: true},
		{in: "-300,00", c: DecimalComma, want: -300, decimals: 2},
		{in: "(1.250,50)", c: DecimalComma, want: -1250.5, decimals: 2, grouped: true},
		{in: "$ 1.619.176,22", c: DecimalComma, want: 1619176.22, decimals: 2, grouped: true},
		{in: "0,5", c: DecimalComma, want: 0.5, decimals: 1},
		{in: "0", c: DecimalComma, want: 0},
		{in: "1.619", c: DecimalComma, want: 1619, grouped: true},
		{in: "1.619", c: DecimalPoint, want: 1.619, decimals: 3},
		{in: "8453536.29", c: DecimalComma, notNumber: true},
		{in: "1619176,22", c: DecimalPoint, notNumber: true},
		{in: "0012", c: DecimalComma, notNumber: true},
		{in: "1234567890123456", c: DecimalComma, notNumber: true},
		{in: "12.34.5", c: DecimalComma, notNumber: true},
		{in: "N/A", c: DecimalComma, notNumber: true},
		{in: "1,", c: DecimalComma, notNumber: true},
		{in: ",5", c: DecimalComma, notNumber: true},
		{in: "2026-11-02", c: DecimalComma, notNumber: true},
	}
	for _, c := range cases {
		v, d, g, ok := Number(c.in, c.c)
		if ok == c.notNumber || (ok && (v != c.want || d != c.decimals || g != c.grouped)) {
			t.Errorf("Number(%q, %c) = %v %d %v %v; want %v %d %v %v", c.in, c.c.Decimal, v, d, g, ok, c.want, c.decimals, c.grouped, !c.notNumber)
		}
	}
}

func TestDatesAreDayFirst(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-02":          "2026-11-02 00:00:00",
		"02/11/2026":          "2026-11-02 00:00:00",
		"2/11/2026 14:30":     "2026-11-02 14:30:00",
		"2026-11-02T08:05:09": "2026-11-02 08:05:09",
		"13/01/2026":          "2026-01-13 00:00:00",
	} {
		got, _, _, ok := Date(in)
		if !ok || got.Format("2006-01-02 15:04:05") != want {
			t.Errorf("Date(%q) = %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"01/13/2026", "45687", "SETP990000001", "2026-13-01"} {
		if _, _, _, ok := Date(in); ok {
			t.Errorf("Date(%q) read as a date", in)
		}
	}
	if s := Serial(mustDate(t, "2026-11-02")); s != 46328 {
		t.Errorf("Serial = %v, want 46328", s)
	}
}

func mustDate(t *testing.T, s string) (d time.Time) {
	t.Helper()
	d, _, _, ok := Date(s)
	if !ok {
		t.Fatal(s)
	}
	return d
}
