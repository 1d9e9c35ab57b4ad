package transport

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"batch"
)

// A Retry-After is bounded the same in either form: a date in the year
// 9999 waits a week, as 99999999 seconds does.
func TestRetryAfterIsBounded(t *testing.T) {
	t.Parallel()
	week := 7 * 24 * time.Hour
	for _, v := range []string{"99999999", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		if got := RetryAfter(v); got != week {
			t.Errorf("Retry-After %q: %s, want %s", v, got, week)
		}
	}
	if got := RetryAfter(time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)); got < 80*time.Second || got > 90*time.Second {
		t.Errorf("a date 90 s ahead: %s", got)
	}
}

// An exchange is Unsure once the request left: a connection cut before the
// answer, or half-way through it, or an answer too large to read; a
// connection refused never carried it.
func TestUnsureOnceTheRequestLeft(t *testing.T) {
	t.Parallel()
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := http.NewResponseController(w).Hijack()
		if r.URL.Path == "/half" {
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<soap:Envelope")
			buf.Flush()
		}
		conn.Close()
	}))
	defer cut.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 2048)))
	}))
	defer huge.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	c := NewHTTPClient(5*time.Second, 1)
	for _, tc := range []struct {
		url    string
		unsure bool
		words  string
	}{
		{cut.URL + "/none", true, "se perdió la conexión"},
		{cut.URL + "/half", true, "a mitad de la respuesta (HTTP 200, 14 bytes recibidos)"},
		{huge.URL, true, "pasa de"},
		{refused, false, "se perdió la conexión"},
	} {
		req, _ := http.NewRequest(http.MethodPost, tc.url, strings.NewReader("<Envelope/>"))
		_, ans, ok := Do(context.Background(), c, req, 1024, batch.ServiceSSIntegral)
		if ok || ans.Unsure != tc.unsure || !strings.Contains(ans.Message, tc.words) {
			t.Errorf("%s: ok %v, unsure %v, %q", tc.url, ok, ans.Unsure, ans.Message)
		}
	}
}
