package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// person is who receives, for runs whose files do not say.
var person = []string{"--tipo-identificacion", "CC", "--identificacion", "52123456", "--nombres", "Ana María", "--apellidos", "Gómez Ruiz"}

// The DIAN's own export, as the portal gives it and as Spanish Excel saves
// it: its title rows are skipped, what each row is decides what is sent
// (the acuse only for the 17 approved sale invoices received), the rest is
// NO_APLICA with its kind, or INVALIDO when addressed to another company;
// only the refused and the misaddressed invoices reach Atención; check and
// the estimate count "no aplican" apart; dates are dates and amounts
// numbers in the workbook.
func TestTheDIANExportAsItComes(t *testing.T) {
	t.Parallel()
	for _, sample := range []string{"dian-recibidos.xlsx", "dian-recibidos.csv"} {
		t.Run(sample, func(t *testing.T) {
			t.Parallel()
			sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{token: "900123456"}}, token)
			dir := t.TempDir()
			in := filepath.Join(dir, sample)
			raw, err := os.ReadFile(filepath.Join("..", "..", "samples", sample))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(in, raw, 0o644)
			vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900.123.456", "XDG_STATE_HOME": t.TempDir()})
			args := append([]string{"--url", url, "--rate", "60000", "--journal", filepath.Join(dir, "j.db"), "-o", filepath.Join(dir, "r.xlsx")}, person...)
			var stdout, stderr bytes.Buffer
			if code := Main(append(append([]string{"check"}, args...), in), vars, &stdout, &stderr); code != exitSomeRows ||
				!strings.Contains(stderr.String(), "26 filas: se enviarán 17 solicitudes; 0 ya resueltas en ejecuciones anteriores, 0 repetidas en el archivo, 1 inválidas y 8 que no aplican") {
				t.Errorf("check: exit %d\n%s", code, stderr.String())
			}
			stderr.Reset()
			if code := Main(append(append([]string{"run"}, args...), in), vars, &stdout, &stderr); code != exitSomeRows || sb.Requests() != 17 {
				t.Fatalf("run: exit %d, %d requests\n%s", code, sb.Requests(), stderr.String())
			}
			rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
			want := map[string][2]string{"Nota crédito electrónica": {"NO_APLICA", "nota crédito"}, "Nota débito electrónica": {"NO_APLICA", "nota débito"},
				"Application response": {"NO_APLICA", "es un evento"}, "Documento soporte con no obligados": {"NO_APLICA", "documento soporte"},
				"Documento equivalente - Servicios públicos domiciliarios": {"NO_APLICA", "documento equivalente"}, "Nómina individual": {"NO_APLICA", "nómina"}}
			counts := map[string]int{}
			for _, r := range rows {
				st, msg := r["acuse_estado"], r["acuse_mensaje"]
				counts[st]++
				switch w, ok := want[r["Tipo de documento"]]; {
				case ok && (st != w[0] || !strings.Contains(msg, w[1])):
					t.Errorf("%s: %s %q", r["Tipo de documento"], st, msg)
				case r["Grupo"] == "Emitido" && r["Tipo de documento"] == "Factura electrónica" && (st != "NO_APLICA" || !strings.Contains(msg, "factura emitida por la empresa")):
					t.Errorf("the company's own invoice: %s %q", st, msg)
				case r["Estado"] == "Rechazado" && (st != "NO_APLICA" || r["acuse_codigo"] != "RECHAZADA_DIAN"):
					t.Errorf("the refused invoice: %s %q", st, msg)
				case r["NIT Receptor"] == "900999999" && (st != "INVALIDO" || !strings.Contains(msg, "dirigida a NIT 900999999")):
					t.Errorf("the other company's invoice: %s %q", st, msg)
				}
				if st != "OK" && sb.Attempts(r["CUFE/CUDE"]) != 0 {
					t.Errorf("%s %s was sent", r["Tipo de documento"], r["CUFE/CUDE"][:8])
				}
			}
			if counts["OK"] != 17 || counts["NO_APLICA"] != 8 || counts["INVALIDO"] != 1 || len(rows) != 26 {
				t.Errorf("statuses %v of %d rows", counts, len(rows))
			}
			attention := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Atención")
			if len(attention) != 2 || attention[0]["código"] != "RECHAZADA_DIAN" || attention[1]["estado"] != "INVALIDO" {
				t.Errorf("Atención: %v", attention)
			}
			f, err := excelize.OpenFile(filepath.Join(dir, "r.xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			resumen, _ := f.GetRows("Resumen")
			if !strings.Contains(fmt.Sprint(resumen), "[acuse NO_APLICA 8 no se envió porque no aplica") || !strings.Contains(fmt.Sprint(resumen), "[acuse INVALIDO 1 ") {
				t.Errorf("Resumen does not count NO_APLICA apart:\n%v", resumen)
			}
			// Dates as dates and amounts as numbers: a number in the cell,
			// shown as the input showed it; the folio stays text.
			for header, shown := range map[string]string{"Fecha Emisión": "2026-11-01", "Fecha Recepción": "2026-11-01 08:00:00", "Total": "1190000", "IVA": "190000", "Folio": "990000100"} {
				typ := cellType(t, f, header, 2)
				col := map[string]string{"Fecha Emisión": "H", "Fecha Recepción": "I", "Total": "AD", "IVA": "N", "Folio": "C"}[header]
				raw, _ := f.GetCellValue("Resultados", col+"2", excelize.Options{RawCellValue: true})
				text, _ := f.GetCellValue("Resultados", col+"2")
				_, err := strconv.ParseFloat(raw, 64)
				number := typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber
				if header == "Folio" && (number || text != shown) || header != "Folio" && (!number || err != nil || !strings.HasPrefix(text, shown)) {
					t.Errorf("%s: type %v, raw %q, shown %q; want %q", header, typ, raw, text, shown)
				}
			}
		})
	}
}

// Rows that do not apply are nothing for a person to do: a file of only
// notes and the company's own invoices ends clean, with no Atención.
func TestRowsThatDoNotApplyAreAQuietNight(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{token: "900123456"}}, token)
	dir := t.TempDir()
	in := filepath.Join(dir, "export.csv")
	writeText(t, in, "Documentos Recibidos;;;;\n;;;;\nTipo de documento;CUFE/CUDE;NIT Emisor;NIT Receptor;Estado;Grupo\n"+
		"Nota crédito electrónica;"+testutil.CUFE(4001)+";800197268;900123456;Aprobado;Recibido\n"+
		"Factura electrónica;"+testutil.CUFE(4002)+";900123456;901234567;Aprobado;Emitido\n"+
		"FACTURA ELECTRONICA DE VENTA;"+testutil.CUFE(4003)+";800197268;900.123.456-8;APROBADO;RECIBIDO\n")
	var stdout, stderr bytes.Buffer
	args := append([]string{"run", "--url", url, "--rate", "60000", "--journal", filepath.Join(dir, "j.db"), "-o", filepath.Join(dir, "r.xlsx")}, person...)
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456", "XDG_STATE_HOME": t.TempDir()})
	if code := Main(append(args, in), vars, &stdout, &stderr); code != exitOK || sb.Requests() != 1 {
		t.Errorf("exit %d, %d requests\n%s", code, sb.Requests(), stderr.String())
	}
	if attention := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Atención"); len(attention) != 1 || attention[0]["hoja"] != "Ninguna fila necesita atención." {
		t.Errorf("Atención: %v", attention)
	}
	// What a row says and batch does not know is not sent on a guess.
	writeText(t, in, "Tipo de documento;CUFE/CUDE;Estado\nFactura de talonario;"+testutil.CUFE(4004)+";Aprobado\nFactura electrónica;"+testutil.CUFE(4005)+";En verificación\n")
	stderr.Reset()
	if code := Main(append(args, in), vars, &stdout, &stderr); code != exitSomeRows || sb.Requests() != 1 {
		t.Errorf("unknown kinds: exit %d, %d requests\n%s", code, sb.Requests(), stderr.String())
	}
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if rows[0]["acuse_estado"] != "INVALIDO" || !strings.Contains(rows[0]["acuse_mensaje"], "«Factura de talonario», que batch no reconoce") ||
		rows[1]["acuse_estado"] != "INVALIDO" || !strings.Contains(rows[1]["acuse_mensaje"], "estado «En verificación»") {
		t.Errorf("unknown kinds: %v", rows)
	}
}
