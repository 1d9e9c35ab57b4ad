package secret

import (
	"bytes"
	"strings"
	"testing"
)

// A secret learnt midway is masked from then on, in every Writer that
// shares the set, in its escaped forms too.
func TestKnownGrows(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	k := &Known{}
	w := &Writer{W: &out, Known: k}
	w.Write([]byte("antes: tok+ACME&1\n"))
	k.Add("", "tok+ACME&1")
	if KnownOf(w) != k || KnownOf(&out) == k {
		t.Error("KnownOf does not find the writer's set")
	}
	w.Write([]byte(`después: tok+ACME&1 "tok+ACME\u00261" tok%2BACME%261` + "\n"))
	if got := out.String(); !strings.Contains(got, "antes: tok+ACME&1") || strings.Contains(got[strings.Index(got, "después"):], "ACME") {
		t.Errorf("written:\n%s", got)
	}
}
