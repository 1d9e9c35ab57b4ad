// Command muestras writes the sample of the DIAN portal's export of a
// company's documents ("Documentos recibidos") in samples/: the .xlsx as
// the portal gives it (a title row and a blank row above the 32 columns,
// dates as dd-mm-aaaa text, amounts as numbers) and the same re-saved as
// CSV by a Spanish Excel (semicolons, decimal commas, Windows-1252). It
// holds every kind of row the export mixes: approved sale invoices, notes,
// an application response, support, public-utility and payroll documents,
// an invoice the company issued, one the DIAN refused and one addressed to
// another company. The obligado is the sandbox's, 900123456. Beside them,
// samples/por-pagar.csv: one supplier's invoices about to be paid, each
// asking who holds it now.
//
//	go run ./tools/muestras
package main

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// header is the export's, as the portal writes it.
var header = []string{"Tipo de documento", "CUFE/CUDE", "Folio", "Prefijo", "Divisa", "Forma de Pago", "Medio de Pago",
	"Fecha Emisión", "Fecha Recepción", "NIT Emisor", "Nombre Emisor", "NIT Receptor", "Nombre Receptor", "IVA", "ICA", "IC",
	"INC", "Timbre", "INC Bolsas", "IN Carbono", "IN Combustibles", "IC Datos", "ICL", "INPP", "IBUA", "ICUI", "Rete IVA",
	"Rete Renta", "Rete ICA", "Total", "Estado", "Grupo"}

// doc is one row: what it is, and the few columns that tell.
type doc struct {
	tipo, prefijo, emisor, nombreEmisor, receptor, nombreReceptor, estado, grupo string
	total                                                                        float64
}

const (
	obligado = "900123456"
	empresa  = "EMPRESA DE PRUEBA S.A.S."
)

func docs() []doc {
	suppliers := [][2]string{{"800197268", "SUMINISTROS ANDINOS S.A.S."}, {"830114921", "TRANSPORTES DEL NORTE LTDA"},
		{"860069804", "PAPELERÍA CENTRAL S.A."}, {"900555555", "SERVICIOS TÉCNICOS ÑANDÚ S.A.S."}}
	var out []doc
	for i := range 17 {
		s := suppliers[i%len(suppliers)]
		estado := "Aprobado"
		if i%5 == 4 {
			estado = "Aprobado con notificación"
		}
		out = append(out, doc{"Factura electrónica", "FE", s[0], s[1], obligado, empresa, estado, "Recibido", float64(1190000 + 73500*i)})
	}
	s := suppliers[0]
	return append(out,
		doc{"Nota crédito electrónica", "NC", s[0], s[1], obligado, empresa, "Aprobado", "Recibido", 119000},
		doc{"Nota débito electrónica", "ND", s[0], s[1], obligado, empresa, "Aprobado", "Recibido", 23800},
		doc{"Application response", "AR", s[0], s[1], obligado, empresa, "Aprobado", "Recibido", 0},
		doc{"Documento soporte con no obligados", "DS", obligado, empresa, "79123456", "PEDRO PÉREZ", "Aprobado", "Emitido", 450000},
		doc{"Documento equivalente - Servicios públicos domiciliarios", "SP", "899999094", "EMPRESA DE ACUEDUCTO", obligado, empresa, "Aprobado", "Recibido", 312450.5},
		doc{"Nómina individual", "NI", obligado, empresa, "52123456", "ANA MARÍA GÓMEZ", "Aprobado", "Emitido", 2850000},
		doc{"Factura electrónica", "SETP", obligado, empresa, "901234567", "CLIENTE DE LA EMPRESA S.A.S.", "Aprobado", "Emitido", 5950000},
		doc{"Factura electrónica", "FE", suppliers[1][0], suppliers[1][1], obligado, empresa, "Rechazado", "Recibido", 833000},
		doc{"Factura electrónica", "FE", suppliers[2][0], suppliers[2][1], "900999999", "OTRA EMPRESA DEL GRUPO S.A.S.", "Aprobado", "Recibido", 1547000},
	)
}

func cufe(n int) string {
	sum := sha512.Sum384([]byte("muestra-dian-" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:])
}

func main() {
	list := docs()
	if err := writeXLSX("samples/dian-recibidos.xlsx", list); err != nil {
		log.Fatal(err)
	}
	if err := writeCSV("samples/dian-recibidos.csv", list); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("samples/por-pagar.csv", []byte(payables(list)), 0o644); err != nil {
		log.Fatal(err)
	}
}

// payables is the list of invoices about to be paid: the received sale
// invoices of one supplier, each asking who holds it now (Evento tenedor).
func payables(list []doc) string {
	var b strings.Builder
	b.WriteString("CUFE;NIT Emisor;Proveedor;Folio;Total;Evento\n")
	for i, d := range list {
		if d.grupo == "Recibido" && d.estado != "Rechazado" && d.tipo == "Factura electrónica" && d.emisor == "800197268" && d.receptor == obligado {
			fmt.Fprintf(&b, "%s;%s;%s;%d;%s;tenedor\n", cufe(i), d.emisor, d.nombreEmisor, 990000100+i, strings.Replace(strconv.FormatFloat(d.total, 'f', -1, 64), ".", ",", 1))
		}
	}
	return b.String()
}

// values is a row's cells: text, numbers for the amounts.
func values(i int, d doc) []any {
	iva := float64(int(d.total/1.19*0.19*100)) / 100
	day := 1 + i%28
	row := []any{d.tipo, cufe(i), strconv.Itoa(990000100 + i), d.prefijo, "COP", "Crédito", "Transferencia",
		fmt.Sprintf("%02d-11-2026", day), fmt.Sprintf("%02d-11-2026 %02d:%02d:%02d", day, 8+i%10, 3*i%60, 7*i%60),
		d.emisor, d.nombreEmisor, d.receptor, d.nombreReceptor, iva}
	for range 15 { // ICA … Rete ICA
		row = append(row, 0.0)
	}
	return append(row, d.total, d.estado, d.grupo)
}

func writeXLSX(path string, list []doc) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Documentos Recibidos"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	f.SetCellValue(sheet, "A1", "Documentos Recibidos")
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = h
	}
	if err := f.SetSheetRow(sheet, "A3", &row); err != nil {
		return err
	}
	for i, d := range list {
		v := values(i, d)
		cell, _ := excelize.CoordinatesToCellName(1, 4+i)
		if err := f.SetSheetRow(sheet, cell, &v); err != nil {
			return err
		}
	}
	// Fixed dates: the same sample every time it is made.
	f.SetDocProps(&excelize.DocProperties{Creator: "DIAN", Title: "Documentos Recibidos", Created: "2026-12-01T00:00:00Z", Modified: "2026-12-01T00:00:00Z"})
	if err := f.SaveAs(path); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

func writeCSV(path string, list []doc) error {
	var b strings.Builder
	b.WriteString("Documentos Recibidos" + strings.Repeat(";", len(header)-1) + "\r\n")
	b.WriteString(strings.Repeat(";", len(header)-1) + "\r\n")
	b.WriteString(strings.Join(header, ";") + "\r\n")
	for i, d := range list {
		cells := make([]string, 0, len(header))
		for _, v := range values(i, d) {
			switch v := v.(type) {
			case float64:
				cells = append(cells, strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), ".", ",", 1))
			default:
				cells = append(cells, fmt.Sprint(v))
			}
		}
		b.WriteString(strings.Join(cells, ";") + "\r\n")
	}
	text, err := charmap.Windows1252.NewEncoder().String(b.String())
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
