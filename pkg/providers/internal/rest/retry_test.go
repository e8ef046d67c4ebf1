package rest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestRetryCountsPerStatus(t *testing.T) {
	t.Parallel()
	// MaxRetries is 2: a retried request reaches the server 3 times.
	tests := []struct {
		name       string
		method     string
		idempotent bool
		status     int
		wantHits   int32
	}{
		{"GET 408", http.MethodGet, false, 408, 3},
		{"GET 429", http.MethodGet, false, 429, 3},
		{"GET 502", http.MethodGet, false, 502, 3},
		{"GET 503", http.MethodGet, false, 503, 3},
		{"GET 504", http.MethodGet, false, 504, 3},
		{"GET 500 is not retried", http.MethodGet, false, 500, 1},
		{"GET 501", http.MethodGet, false, 501, 1},
		{"GET 400", http.MethodGet, false, 400, 1},
		{"GET 401", http.MethodGet, false, 401, 1},
		{"GET 404", http.MethodGet, false, 404, 1},
		{"GET 409", http.MethodGet, false, 409, 1},
		{"PUT 503", http.MethodPut, false, 503, 3},
		{"DELETE 502", http.MethodDelete, false, 502, 3},
		{"POST 503 without Recover", http.MethodPost, false, 503, 1},
		{"POST 502 without Recover", http.MethodPost, false, 502, 1},
		{"POST 408 without Recover", http.MethodPost, false, 408, 1},
		{"POST 500 without Recover", http.MethodPost, false, 500, 1},
		{"POST 429 was refused, not applied", http.MethodPost, false, 429, 3},
		{"POST 422", http.MethodPost, false, 422, 1},
		{"idempotent POST 503", http.MethodPost, true, 503, 3},
		{"PATCH 503", http.MethodPatch, false, 503, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tt.status, `{"message":"nope"}`)
			})
			c := newTestClient(t, srv, nil)
			err := c.Do(context.Background(), Request{Op: "op", Method: tt.method, Path: "x", Body: map[string]int{"a": 1}, Idempotent: tt.idempotent}, nil)
			var ae *providers.APIError
			if !errors.As(err, &ae) || ae.Status != tt.status {
				t.Fatalf("err = %v, want an APIError with status %d", err, tt.status)
			}
			if got := hits.Load(); got != tt.wantHits {
				t.Errorf("server hits = %d, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestRetryThenSuccessDecodes(t *testing.T) {
	t.Parallel()
	srv, hits := counting(t, nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) < 3 {
			writeJSON(w, 503, `{}`)
			return
		}
		writeJSON(w, 200, `{"id":"m1"}`)
	})
	c := newTestClient(t, srv, nil)
	var got struct{ ID string }
	var reply Reply
	if err := c.Do(context.Background(), Request{Op: "get", Path: "machines/m1", Reply: &reply}, &got); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if got.ID != "m1" || reply.Status != 200 {
		t.Errorf("got %+v, reply %d; want id m1 and 200", got, reply.Status)
	}
}

func TestNoContentAndEmptyBodies(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 202, 204} {
		srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
		c := newTestClient(t, srv, nil)
		out := map[string]any{"kept": true}
		if err := c.Do(context.Background(), Request{Op: "delete", Method: http.MethodDelete, Path: "x"}, &out); err != nil {
			t.Errorf("status %d: %v", status, err)
		}
		if out["kept"] != true {
			t.Errorf("status %d: out changed to %v", status, out)
		}
	}
}

func TestPOSTDroppedConnectionWithoutRecoverIsNotRetried(t *testing.T) {
	t.Parallel()
	srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) { dropConnection(t, w) })
	c := newTestClient(t, srv, nil)
	err := c.Do(context.Background(), Request{Op: "create machine", Method: http.MethodPost, Path: "machines", Body: map[string]string{"name": "a"}}, nil)
	if err == nil {
		t.Fatal("Do succeeded after a dropped connection")
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("server hits = %d, want 1 (a POST is never retried blindly)", got)
	}
	if !providers.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = false, want true so the caller observes and tries again", err)
	}
}

// appsFake is a stateful fake: POST /v1/apps creates, GET /v1/apps/{name} reads. dropAfter
// and dropBefore make the next creates lose their response after or before applying.
type appsFake struct {
	t          *testing.T
	mu         sync.Mutex
	apps       map[string]bool
	creates    int
	dropAfter  int
	dropBefore int
}

func (f *appsFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/apps":
		f.creates++
		var body struct{ Name string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		if f.dropBefore > 0 {
			f.dropBefore--
			dropConnection(f.t, w)
			return
		}
		if f.apps[body.Name] {
			writeJSON(w, 422, `{"error":"Validation failed: Name has already been taken","status":"name_taken"}`)
			return
		}
		f.apps[body.Name] = true
		if f.dropAfter > 0 {
			f.dropAfter--
			dropConnection(f.t, w)
			return
		}
		writeJSON(w, 201, `{"name":"`+body.Name+`","created":true}`)
	case r.Method == http.MethodGet && len(r.URL.Path) > len("/v1/apps/"):
		name := r.URL.Path[len("/v1/apps/"):]
		if !f.apps[name] {
			writeJSON(w, 404, `{"error":"app not found"}`)
			return
		}
		writeJSON(w, 200, `{"name":"`+name+`"}`)
	default:
		writeJSON(w, 400, `{"error":"unexpected"}`)
	}
}

// createApp is how a provider uses Recover: the lookup fills the same variable as the reply.
func createApp(ctx context.Context, c *Client, name string) (app struct{ Name string }, recovered bool, err error) {
	err = c.Do(ctx, Request{
		Op: "create app", Method: http.MethodPost, Path: "apps", Body: map[string]string{"name": name},
		Recover: func(ctx context.Context) (bool, error) {
			err := c.Do(ctx, Request{Op: "get app", Path: "apps/" + name}, &app)
			if errors.Is(err, providers.ErrNotFound) {
				return false, nil
			}
			recovered = err == nil
			return err == nil, err
		},
	}, &app)
	return app, recovered, err
}

func TestRecoverAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		dropAfter, dropBefore  int
		wantCreates            int
		wantRecovered, wantErr bool
	}{
		{name: "applied, then the response was lost: found, not created again", dropAfter: 1, wantCreates: 1, wantRecovered: true},
		{name: "lost before applying: not found, POST retried", dropBefore: 1, wantCreates: 2},
		{name: "lost every time: bounded", dropBefore: 10, wantCreates: 3, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &appsFake{t: t, apps: map[string]bool{}, dropAfter: tt.dropAfter, dropBefore: tt.dropBefore}
			srv, _ := counting(t, fake.ServeHTTP)
			c := newTestClient(t, srv, nil)
			app, recovered, err := createApp(context.Background(), c, "web")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !providers.IsRetryable(err) {
					t.Errorf("IsRetryable(%v) = false, want true", err)
				}
			} else if app.Name != "web" {
				t.Errorf("app = %+v, want web", app)
			}
			if recovered != tt.wantRecovered {
				t.Errorf("recovered = %v, want %v", recovered, tt.wantRecovered)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if fake.creates != tt.wantCreates {
				t.Errorf("creates = %d, want %d", fake.creates, tt.wantCreates)
			}
			if len(fake.apps) > 1 {
				t.Errorf("apps = %v, want at most one", fake.apps)
			}
		})
	}
}

func TestRecoverOnServerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		found       bool
		wantCalls   int
		wantHits    int32
		wantSuccess bool
	}{
		{"500 created anyway", 500, true, 1, 1, true},
		{"503 created anyway", 503, true, 1, 1, true},
		{"503 not created: retried", 503, false, 3, 3, false},
		{"500 not created: returned, not retried", 500, false, 1, 1, false},
		{"408 not created: retried", 408, false, 3, 3, false},
		{"422 is permanent: no lookup", 422, false, 0, 1, false},
		{"429 was refused: no lookup, retried", 429, false, 0, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.status, `{}`) })
			c := newTestClient(t, srv, nil)
			calls := 0
			err := c.Do(context.Background(), Request{Op: "create pod", Method: http.MethodPost, Path: "pods",
				Recover: func(context.Context) (bool, error) { calls++; return tt.found, nil }}, nil)
			if (err == nil) != tt.wantSuccess {
				t.Errorf("err = %v, want success %v", err, tt.wantSuccess)
			}
			if calls != tt.wantCalls {
				t.Errorf("Recover calls = %d, want %d", calls, tt.wantCalls)
			}
			if got := hits.Load(); got != tt.wantHits {
				t.Errorf("server hits = %d, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestRecoverErrorIsReturnedWithTheFailure(t *testing.T) {
	t.Parallel()
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 503, `{}`) })
	c := newTestClient(t, srv, nil)
	lookup := errors.New("list failed")
	err := c.Do(context.Background(), Request{Op: "create", Method: http.MethodPost, Path: "x",
		Recover: func(context.Context) (bool, error) { return false, lookup }}, nil)
	if !errors.Is(err, lookup) || !errors.Is(err, providers.ErrUnavailable) {
		t.Errorf("err = %v, want both the lookup error and the 503", err)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	const wait = 150 * time.Millisecond
	srv, hits := counting(t, nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "0.15")
			writeJSON(w, 429, `{"error":"rate limit exceeded"}`)
			return
		}
		writeJSON(w, 200, `{}`)
	})
	c := newTestClient(t, srv, nil)
	start := time.Now()
	if err := c.Do(context.Background(), Request{Op: "get", Path: "x"}, nil); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if got := time.Since(start); got < wait {
		t.Errorf("retried after %v, want at least the Retry-After %v", got, wait)
	}
}

func TestRetryAfterBeyondCapIsReturned(t *testing.T) {
	t.Parallel()
	srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		writeJSON(w, 503, `{}`)
	})
	c := newTestClient(t, srv, func(cfg *Config) { cfg.MaxRetryAfter = time.Second })
	start := time.Now()
	err := c.Do(context.Background(), Request{Op: "get", Path: "x"}, nil)
	if got := hits.Load(); got != 1 {
		t.Errorf("server hits = %d, want 1", got)
	}
	if got := providers.RetryAfterOf(err); got != 120*time.Second {
		t.Errorf("RetryAfterOf = %v, want 2m0s", got)
	}
	if !providers.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = false, want true", err)
	}
	if time.Since(start) > time.Second {
		t.Error("Do waited although the delay exceeds the cap")
	}
}

func TestBackoffWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, 503, `{}`)
	})
	c := newTestClient(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := c.Do(ctx, Request{Op: "get", Path: "x"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if providers.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = true, want false after cancellation", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("the wait did not end with the context")
	}
}

func TestDelayIsBoundedExponential(t *testing.T) {
	t.Parallel()
	c := &Client{backoffBase: 100 * time.Millisecond, backoffMax: time.Second, maxRetryAfter: time.Minute,
		jitter: func(n time.Duration) time.Duration { return n - 1 }}
	var prev time.Duration
	for attempt := range 8 {
		d, ok := c.delay(attempt, 0)
		if !ok || d < prev || d >= time.Second {
			t.Errorf("delay(%d) = %v, %v; want growing, below 1s", attempt, d, ok)
		}
		prev = d
	}
	if d, _ := c.delay(0, 2*time.Second); d < 2*time.Second {
		t.Errorf("delay with Retry-After 2s = %v, want at least 2s", d)
	}
}
