package rest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestDoReportsEveryAttemptToTheRequestObserver: each HTTP attempt (a retry too) reaches the
// process's observer with the provider, the request's metric operation (or its method) and
// the status; a request that got no response is reported as "error". Not parallel: the
// observer is process-wide.
func TestDoReportsEveryAttemptToTheRequestObserver(t *testing.T) {
	recorded := providertest.RecordRequests(t, "obs")
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.URL.Path == "/flaky" && calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	c, err := rest.New(rest.Config{BaseURL: srv.URL, Provider: "obs", BackoffBase: 1, BackoffMax: 1,
		Jitter: func(d time.Duration) time.Duration { return d }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(t.Context(), rest.Request{Op: "get machine m-1", Operation: "get machine", Path: "flaky"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(t.Context(), rest.Request{Op: "delete app a-1", Method: http.MethodDelete, Path: "apps/a-1"}, nil); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	down, _ := rest.New(rest.Config{BaseURL: srv.URL, Provider: "obs", MaxRetries: -1})
	if err := down.Do(t.Context(), rest.Request{Op: "list apps", Operation: "list apps", Path: "apps"}, nil); err == nil {
		t.Fatal("closed server: no error")
	}
	want := []providers.APIRequest{
		{Provider: "obs", Operation: "get machine", Status: "503"},
		{Provider: "obs", Operation: "get machine", Status: "200"},
		{Provider: "obs", Operation: "DELETE", Status: "200"},
		{Provider: "obs", Operation: "list apps", Status: "error"},
	}
	if got := recorded(); !slices.Equal(got, want) {
		t.Errorf("reported %+v, want %+v", got, want)
	}
}
