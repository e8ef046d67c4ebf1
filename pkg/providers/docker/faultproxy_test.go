package docker_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/client"
)

// faultProxy stands between the provider and the real engine, as a flaky network or a busy
// engine would: while on, each API request fails with probability rate, in one of three
// ways, drawn from a seed so a failure can be replayed:
//   - "busy": the engine answers 503 and does nothing;
//   - "drop": the connection closes before the request reaches the engine;
//   - "lost": the engine carries the request out, then the connection closes before the
//     answer arrives (mutating requests only: "applied but the response was lost").
//
// Version negotiation (/_ping, /version) is never faulted.
type faultProxy struct {
	url   string
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	rng      *rand.Rand
	rate     float64
	on       bool
	injected map[string]int
}

// newFaultProxy starts a proxy to the engine at engineHost(); it is off until switchOn.
func newFaultProxy(t testing.TB, rate float64) *faultProxy {
	t.Helper()
	u, err := client.ParseHostURL(engineHost())
	if err != nil {
		t.Fatal(err)
	}
	network, addr := "tcp", u.Host
	if u.Scheme == "unix" {
		network = "unix"
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	target := &url.URL{Scheme: "http", Host: "docker"}
	f := &faultProxy{rate: rate, injected: map[string]int{}}
	f.proxy = &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport:     tr,
		FlushInterval: -1,
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Cleanup(tr.CloseIdleConnections)
	f.url = "tcp://" + srv.Listener.Addr().String()
	return f
}

// switchOn turns faults on, seeded from the test's name, and returns the switch to turn them
// off, which logs what was injected.
func (f *faultProxy) switchOn(t *testing.T) (off func()) {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	seed := h.Sum64()
	f.mu.Lock()
	f.rng, f.on = rand.New(rand.NewPCG(seed, seed>>1)), true
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.on = false
		t.Logf("fault proxy (seed %d, rate %.2f) injected %v", seed, f.rate, f.injected)
	}
}

// draw picks the fault for r ("" for none).
func (f *faultProxy) draw(r *http.Request) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on || strings.HasSuffix(r.URL.Path, "/_ping") || strings.HasSuffix(r.URL.Path, "/version") {
		return ""
	}
	if f.rng.Float64() >= f.rate {
		return ""
	}
	kinds := []string{"busy", "drop"}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Mutating requests are few: an applied change whose answer is lost, the case that
		// matters most, gets half their faults.
		kinds = append(kinds, "lost", "lost")
	}
	k := kinds[f.rng.IntN(len(kinds))]
	f.injected[k]++
	return k
}

func (f *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch f.draw(r) {
	case "busy":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"message":"fault proxy: engine busy"}`)
	case "drop":
		_, _ = io.Copy(io.Discard, r.Body)
		hangUp(w)
	case "lost":
		f.proxy.ServeHTTP(httptest.NewRecorder(), r)
		hangUp(w)
	default:
		f.proxy.ServeHTTP(w, r)
	}
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
