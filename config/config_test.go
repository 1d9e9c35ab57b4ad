package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Windows paths, drive letter and backslashes, are read as written between
// single quotes; between double ones, the error says to use single ones.
func TestWindowsPaths(t *testing.T) {
	path := filepath.Join(t.TempDir(), "batch.toml")
	os.WriteFile(path, []byte(`carpeta_resultados = 'C:\ProgramData\batch\resultados'
journal = 'C:\ProgramData\batch\journal.db'

[[obligados]]
nit = "900111111"
token_env = "TOK"
archivos = ['C:\ProgramData\batch\entrada\acme\*.xlsx', '\\servidor\compartido\*.csv']
`), 0o600)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.OutDir != `C:\ProgramData\batch\resultados` || f.Values["journal"] != `C:\ProgramData\batch\journal.db` ||
		f.Companies[0].Archivos[0] != `C:\ProgramData\batch\entrada\acme\*.xlsx` || f.Companies[0].Archivos[1] != `\\servidor\compartido\*.csv` {
		t.Errorf("%+v %+v", f, f.Companies[0])
	}
	os.WriteFile(path, []byte("journal = \"C:\\datos\\journal.db\"\n"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "comillas simples") {
		t.Errorf("err = %v", err)
	}
}

// A provider's table sets the options its registration names: [ssintegral]
// url is --soap-url, nit is --ssintegral-nit; a table no provider has is
// refused with the tables there are.
func TestProviderTables(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batch.toml")
	os.WriteFile(path, []byte("[ssintegral]\nurl = \"https://soap.example/ws.asmx\"\nnit = \"900111111\"\nrate = 20\n"), 0o600)
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Values["soap-url"] != "https://soap.example/ws.asmx" || f.Values["ssintegral-nit"] != "900111111" || f.Values["rate-correo"] != "20" {
		t.Errorf("[ssintegral] set %v", f.Values)
	}
	os.WriteFile(path, []byte("[ssintegrl]\nnit = \"900111111\"\n"), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "¿quiso decir «ssintegral»?") || !strings.Contains(err.Error(), "[persona], [ssintegral]") {
		t.Errorf("a misspelt table: %v", err)
	}
}

// A table batch does not know, at any depth, is refused with what it
// might have meant: [[obligado]] for [[obligados]] would otherwise take
// its company out of the night without a word.
func TestUnknownTablesAreRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "batch.toml")
	for body, want := range map[string]string{
		"# noche\n[[obligado]]\nnit = \"900111111\"\ntoken_env = \"TOK\"\narchivos = [\"a.csv\"]\n": "(línea 2) tiene la tabla «obligado», que batch no conoce, ¿quiso decir «obligados»?",
		"[persona]\nnombres = \"Ana\"\n[persona.extra]\ncargo = \"x\"\n":                            "(línea 3) tiene la tabla «persona.extra», que batch no conoce",
		"[ssintegral.cuenta]\nnit = \"1\"\n":                                                        "(línea 1) tiene la tabla «ssintegral.cuenta», que batch no conoce",
		"[[obligados]]\nnit = \"900111111\"\ntoken_env = \"TOK\"\narchivos = [\"a.csv\"]\n\n[[obligados]]\nnit = \"900222222\"\ntoken_env = \"TOK2\"\narchvos = [\"b.csv\"]\n": "(línea 9): el obligado 2 tiene «archvos», ¿quiso decir «archivos»?",
		"[[obligados]]\nnit = \"900111111\"\ntoken_env = \"TOK\"\narchivos = [\"a.csv\"]\n[obligados.persona]\nnombre = \"Ana\"\n":                                             "(línea 6): [obligados.persona] del obligado 1 tiene «nombre»",
		"[[obligados]]\nnit = \"900111111\"\ntoken_env = \"TOK\"\narchivos = [\"a.csv\"]\n[obligados.ssintegral]\nnit = \"900.111.111-5\"\n":                                   "(línea 6), obligado 1: [obligados.ssintegral] el NIT \"900.111.111-5\" tiene dígito de verificación 5, pero el de 900111111 es 0",
	} {
		os.WriteFile(path, []byte(body), 0o600)
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", body, err)
		}
	}
}
