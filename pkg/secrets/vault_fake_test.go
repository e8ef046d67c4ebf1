package secrets

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeVault is a stateful Vault KV v2 server: it stores secrets per mount and path, checks the
// token and namespace headers, and can be told to answer a path with a scripted list of
// statuses (or to hang) before serving it normally.
type fakeVault struct {
	t         *testing.T
	srv       *httptest.Server
	token     string
	namespace string

	mu       sync.Mutex
	data     map[string]map[string]any // "<mount>/<path>" -> data.data
	deleted  map[string]bool
	script   map[string][]int // status codes to answer first, consumed in order
	hang     map[string]bool
	hits     map[string]int
	onHit    func(path string)
	badToken int
}

func newFakeVault(t *testing.T, token, namespace string) *fakeVault {
	t.Helper()
	f := &fakeVault{t: t, token: token, namespace: namespace, data: map[string]map[string]any{},
		deleted: map[string]bool{}, script: map[string][]int{}, hang: map[string]bool{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVault) put(mountPath string, data map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.data[mountPath] = data
}

func (f *fakeVault) hitsFor(mountPath string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[mountPath]
}

func vaultErrors(w http.ResponseWriter, status int, msgs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": msgs})
}

func (f *fakeVault) serve(w http.ResponseWriter, r *http.Request) {
	// KV v2 read: GET /v1/<mount>/data/<path>. Mounts here are one segment.
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	mount, p, ok2 := strings.Cut(rest, "/data/")
	if r.Method != http.MethodGet || !ok || !ok2 || strings.Contains(mount, "/") {
		vaultErrors(w, http.StatusMethodNotAllowed, "unsupported request "+r.Method+" "+r.URL.Path)
		return
	}
	key := mount + "/" + p
	f.mu.Lock()
	f.hits[key]++
	onHit := f.onHit
	var status int
	if s := f.script[key]; len(s) > 0 {
		status, f.script[key] = s[0], s[1:]
	}
	hang := f.hang[key]
	data, found := f.data[key]
	deleted := f.deleted[key]
	if r.Header.Get("X-Vault-Token") != f.token {
		f.badToken++
		f.mu.Unlock()
		vaultErrors(w, http.StatusForbidden, "permission denied", "body mentions "+canary)
		return
	}
	f.mu.Unlock()
	if onHit != nil {
		onHit(key)
	}
	if got := r.Header.Get("X-Vault-Namespace"); got != f.namespace {
		vaultErrors(w, http.StatusNotFound, "no handler for route (namespace "+got+")")
		return
	}
	if hang {
		<-r.Context().Done()
		return
	}
	switch {
	case status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "120")
		vaultErrors(w, status, "rate limited")
		return
	case status != 0:
		vaultErrors(w, status, "scripted failure")
		return
	case deleted:
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"data": nil,
			"metadata": map[string]any{"deletion_time": "2026-01-01T00:00:00Z", "version": 2}}})
		return
	case !found:
		vaultErrors(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"request_id": "r-1", "lease_duration": 0, "renewable": false,
		"data": map[string]any{"data": data, "metadata": map[string]any{"version": 1, "destroyed": false}},
	})
}
