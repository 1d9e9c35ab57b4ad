package readers

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"batch"
)

// FuzzSheetXML puts any bytes where a workbook's first sheet is (and its
// shared strings, styles), in a real zip: the reader refuses the workbook
// with a readers.Error or reads rows whose cells line up with their values,
// never panicking or hanging.
func FuzzSheetXML(f *testing.F) {
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>CUFE</t></is></c><c r="B1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="inlineStr"><is><r><t>ab</t></r><rPh><t>x</t></rPh></is></c><c r="B2" s="1"><v>46328.5</v></c><c r="C2" t="b"><v>1</v></c></row></sheetData></worksheet>`))
	f.Add([]byte(`<x:worksheet xmlns:x="s"><x:sheetData><x:row><x:c t="str"><x:f>A1</x:f><x:v>CUFE</x:v></x:c><x:c><x:v>1e5</x:v></x:c></x:row><x:row><x:c t="inlineStr"><x:is><x:t xml:space="preserve"> a&amp;b&#x41;_x0007_ </x:t></x:is></x:c><x:c><![CDATA[1]]></x:c></x:row></x:sheetData></x:worksheet>`))
	f.Add([]byte(`<worksheet><!-- > " --><sheetData><row r="1"><c r="XFD1"/><c r="A1" t="inlineStr" x='>'><is><t>CUFE</t></is></c></row></sheetData></worksheet>`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheet []byte) {
		path := filepath.Join(dir, "f.xlsx")
		if err := os.WriteFile(path, workbookWith(sheet), 0o600); err != nil {
			t.Fatal(err)
		}
		in, ok := openOrRefused(t, path)
		if !ok {
			return
		}
		defer in.Close()
		err := in.Each(func(r batch.Row) error {
			if len(r.Values) != len(r.Cells) {
				t.Fatalf("row %d: %d cells, %d values", r.Line, len(r.Cells), len(r.Values))
			}
			for i, v := range r.Values {
				if (r.Cells[i] == "") != (v.Type == batch.ValueEmpty) {
					t.Fatalf("row %d, column %d: text %q with a value of type %d", r.Line, i, r.Cells[i], v.Type)
				}
			}
			return nil
		})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Each: %T %v, want *readers.Error", err, err)
			}
		}
	})
}

// workbookWith is a minimal workbook whose first sheet is sheet, with one
// shared string and a date style.
func workbookWith(sheet []byte) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"[Content_Types].xml":        `<Types/>`,
		"_rels/.rels":                `<Relationships><Relationship Id="r" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<workbook><sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
		"xl/sharedStrings.xml":       `<sst><si><t>Valor</t></si></sst>`,
		"xl/styles.xml":              `<styleSheet><numFmts><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>`,
		"xl/worksheets/sheet1.xml":   string(sheet),
	} {
		w, _ := z.Create(name)
		w.Write([]byte(body))
	}
	z.Close()
	return buf.Bytes()
}
