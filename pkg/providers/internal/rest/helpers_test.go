package rest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// noJitter makes waits exact so tests can measure them.
func noJitter(time.Duration) time.Duration { return 0 }

// newTestClient returns a client for srv with fast, jitter-free retries; edit adjusts cfg.
func newTestClient(t *testing.T, srv *httptest.Server, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:     srv.URL + "/v1",
		Provider:    "fake",
		MaxRetries:  2,
		BackoffBase: time.Millisecond,
		BackoffMax:  5 * time.Millisecond,
		Jitter:      noJitter,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// counting serves h and counts the requests that reached it.
func counting(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// dropConnection closes the client's connection without a response: the request was
// received (and maybe applied) but its reply is lost.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
