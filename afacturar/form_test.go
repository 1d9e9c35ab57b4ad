package afacturar

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"
)

// The body built by hand is the one mime/multipart writes, byte for byte,
// and any multipart reader gets the fields back, even a value that holds
// the process's boundary.
func TestFormIsWhatMultipartWrites(t *testing.T) {
	fields := [][2]string{{"documento_obligado", "900123456"}, {"data", `{"evento":[{"cufe":"abc"}],"nota":"línea\r\n--x"}`}, {`na"me\`, ""}}
	body, ct := form(fields)

	var want bytes.Buffer
	mw := multipart.NewWriter(&want)
	if err := mw.SetBoundary(boundary()); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	if !bytes.Equal(body, want.Bytes()) || ct != mw.FormDataContentType() {
		t.Errorf("form wrote\n%q (%s)\nmime/multipart writes\n%q (%s)", body, ct, want.Bytes(), mw.FormDataContentType())
	}

	hostile := [][2]string{{"data", "antes\r\n--" + boundary() + "\r\nContent-Disposition: form-data; name=\"documento_obligado\"\r\n\r\n999"}}
	body, ct = form(hostile)
	_, params, err := mime.ParseMediaType(ct)
	if err != nil || params["boundary"] == boundary() {
		t.Fatalf("a value holding the boundary kept it: %s %v", ct, err)
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var got []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		v, _ := io.ReadAll(p)
		got = append(got, p.FormName()+"="+string(v))
	}
	if len(got) != 1 || got[0] != "data="+hostile[0][1] || strings.Count(string(body), params["boundary"]) != 2 {
		t.Errorf("read back %q", got)
	}
}
