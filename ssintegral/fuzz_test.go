package ssintegral

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"batch"
)

// FuzzAnswer feeds any HTTP status and body to the SOAP answer's decoder:
// every one gets a known class, an OK always carries the invoice's CUFE or
// CUDE, every refusal says why in readable text, and the files are bytes.
func FuzzAnswer(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*response*.xml"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint16(200), b)
		f.Add(uint16(500), b)
	}
	f.Add(uint16(503), []byte("<html>503</html>"))
	f.Add(uint16(200), []byte(`<Envelope><Body><EnvioCorreoResponse><EnvioCorreoResult><CUFE>a</CUFE><FacturaPDF>JVBER</FacturaPDF></EnvioCorreoResult></EnvioCorreoResponse></Body></Envelope>`))
	c := &Client{Facturador: Facturador{Clave: "s3cr3t"}}
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		a := c.hide(classifyBody(t, int(status), body))
		if a.Class < batch.ClassOK || a.Class > batch.ClassUnexpected {
			t.Fatalf("class %d", a.Class)
		}
		if a.Class == batch.ClassOK && a.Values[ValueCUFE] == "" && a.Values[ValueCUDE] == "" {
			t.Fatalf("OK without CUFE or CUDE: %q", body)
		}
		if a.Class != batch.ClassOK && a.Message == "" {
			t.Fatalf("class %d without a message: %q (HTTP %d)", a.Class, body, status)
		}
		if !utf8.ValidString(a.Message) || strings.Contains(a.Message, "s3cr3t") {
			t.Fatalf("message %q", a.Message)
		}
		for _, k := range []string{ValuePDF, ValueXML} {
			if v, ok := a.Values[k]; ok {
				if _, isFile := v.(Spooled); !isFile {
					t.Fatalf("%s is %T", k, v)
				}
			}
		}
	})
}
