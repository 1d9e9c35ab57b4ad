package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// A configuration file holds the night's settings: the command line wins
// over the environment, the environment over the file, the file over the
// defaults; batch config says where each came from; a secret in the file
// refuses to start.
func TestConfigurationFile(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "batch.toml")
	writeText(t, cfg, `url = "`+url+`"
rate = 6000
espera_reintento = "50ms"
obligado = "800000000"

[persona]
tipo_identificacion = "CC"
identificacion = "52123456"
nombres = "Ana María"
apellidos = "Gómez Ruiz"

[ssintegral]
codigo_empresa = 12
`)
	in := filepath.Join(dir, "r.csv")
	writeText(t, in, "CUFE\n"+strings.Join(cufes(2), "\n")+"\n") // the person comes from the file
	// AFACTURAR_OBLIGADO in the environment wins over the file's obligado.
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456"})
	code, msg := runMain(t, vars, "run", "--config", cfg, "--journal", filepath.Join(dir, "j.db"), "-o", filepath.Join(dir, "r.xlsx"), in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if code != exitOK || sb.Requests() != 2 || rows[0]["acuse_estado"] != "OK" {
		t.Fatalf("run with the file: exit %d, %d requests\n%s", code, sb.Requests(), msg)
	}
	if seen := sb.Seen(cufes(2)[0]); len(seen) != 1 || seen[0].Obligado != "900123456" || !strings.Contains(string(seen[0].Data), `"nombres":"Ana María"`) {
		t.Errorf("what the sandbox received: %+v", seen)
	}

	var out, errOut bytes.Buffer
	code = Main([]string{"config", "--config", cfg, "--rate", "100"}, vars, &out, &errOut)
	text := out.String()
	for _, want := range []string{
		"archivo de configuración: " + cfg,
		"rate                             100", "(opción)",
		"espera-reintento                 50ms", "(archivo " + cfg + ", línea ",
		"obligado                         900123456", "(variable AFACTURAR_OBLIGADO)",
		"ambiente                         pruebas", "(predeterminado)",
		"ssintegral-codigo-empresa        12",
		"AFACTURAR_TOKEN                  definido", "SSINTEGRAL_CLAVE                 falta",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("batch config does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, token) {
		t.Error("batch config printed the token")
	}

	for name, body := range map[string]string{
		"token":   "token = \"abc\"\n",
		"clave":   "[ssintegral]\nclave = \"abc\"\n",
		"unknown": "velocidad = 3\n",
		"bad":     "rate = \"mucho\"\n",
	} {
		bad := filepath.Join(dir, name+".toml")
		writeText(t, bad, body)
		code, msg := runMain(t, vars, "run", "--config", bad, in)
		if code != exitNothing || !strings.Contains(msg, bad) || (name == "token" || name == "clave") && !strings.Contains(msg, "variables de entorno") {
			t.Errorf("%s: exit %d\n%s", name, code, msg)
		}
	}
	if sb.Requests() != 2 {
		t.Errorf("a refused file sent %d requests", sb.Requests()-2)
	}
}

// The examples of deploy/ work together: batch reads the configuration
// with the variables of the example environment file, every token and
// clave is there, and every company's e-mails would be sent.
func TestDeployExamplesAgree(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/batch.env.ejemplo")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			vars[k] = v
		}
	}
	var out, errOut bytes.Buffer
	code := Main([]string{"config", "--config", "../../deploy/config.toml.ejemplo"}, env(vars), &out, &errOut)
	text := out.String()
	if code != exitOK || !strings.Contains(text, "ambiente                         produccion") {
		t.Errorf("exit %d\n%s%s", code, text, errOut.String())
	}
	for _, bad := range []string{"AFACTURAR_TOKEN_ACME, falta", "AFACTURAR_TOKEN_BETA, falta", "SSINTEGRAL_CLAVE_BETA, falta", "correos: no se envían"} {
		if strings.Contains(text, bad) {
			t.Errorf("the examples disagree: %q\n%s", bad, text)
		}
	}
}

// The environment is read as a person writes it: accents and case.
func TestAmbienteAsWritten(t *testing.T) {
	t.Parallel()
	for _, written := range []string{"Producción", "PRODUCCIÓN", " produccion "} {
		if code, msg := runMain(t, env(nil), "config", "--ambiente", written); code != exitOK || !strings.Contains(msg, "ambiente                         produccion ") {
			t.Errorf("%q: exit %d\n%s", written, code, msg)
		}
	}
	if code, msg := runMain(t, full, "run", "--ambiente", "Prueba", "x.csv"); code != exitNothing || !strings.Contains(msg, "pruebas o produccion") {
		t.Errorf("a misspelt environment: exit %d\n%s", code, msg)
	}
}
