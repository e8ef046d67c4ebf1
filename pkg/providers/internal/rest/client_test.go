package rest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

func TestDefaultTimeoutOnlyWithoutDeadline(t *testing.T) {
	t.Parallel()
	const slow = 300 * time.Millisecond
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(slow):
			writeJSON(w, 200, `{"ok":true}`)
		case <-r.Context().Done():
		}
	})
	c := newTestClient(t, srv, func(cfg *Config) {
		cfg.Timeout = 50 * time.Millisecond
		cfg.MaxRetries = -1
	})

	t.Run("no deadline: the default bounds the attempt", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		err := c.Do(context.Background(), Request{Op: "get", Path: "x"}, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !providers.IsRetryable(err) {
			t.Errorf("err = %v, want a retryable deadline error", err)
		}
		if got := time.Since(start); got >= slow {
			t.Errorf("took %v, want the 50ms default to cut it short", got)
		}
	})
	t.Run("a ctx deadline wins over the default", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var out struct{ OK bool }
		if err := c.Do(ctx, Request{Op: "get", Path: "x"}, &out); err != nil || !out.OK {
			t.Errorf("Do = %v, out %+v; want success past the 50ms default", err, out)
		}
	})
}

// quotaDecoder is a platform decoder in the E2B style: the concurrency 429 is a quota.
func quotaDecoder(status int, h http.Header, body []byte) (string, string, error) {
	code, msg, _ := DecodeError(status, h, body)
	if status == 429 && strings.Contains(msg, "maximum number of concurrent") {
		return code, msg, providers.ErrQuota
	}
	if code == "sandbox_capacity_unavailable" {
		return code, msg, providers.ErrCapacity
	}
	return code, msg, nil
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		body      string
		want      error
		retryable bool
		hits      int32
		code      string
	}{
		{"404", 404, `{"error":"app not found"}`, providers.ErrNotFound, false, 1, ""},
		{"409", 409, `{"error":{"status":409,"code":"conflict","message":"exists"}}`, providers.ErrConflict, false, 1, "conflict"},
		{"401", 401, `{"code":401,"message":"authorization header is missing"}`, providers.ErrAuth, false, 1, ""},
		{"403", 403, `{"message":"forbidden"}`, providers.ErrAuth, false, 1, ""},
		{"503 unavailable", 503, `{"message":"busy"}`, providers.ErrUnavailable, true, 3, ""},
		{"concurrency 429 is a quota, not retried", 429,
			`{"code":429,"message":"you have reached the maximum number of concurrent E2B sandboxes (20)"}`, providers.ErrQuota, false, 1, ""},
		{"503 capacity is permanent", 503,
			`{"code":503,"message":"no capacity","error_code":"sandbox_capacity_unavailable"}`, providers.ErrCapacity, false, 1, "sandbox_capacity_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Fly-Request-Id", "01K8RS9B59AX0ZS77B4YBQJJ1R-iad")
				writeJSON(w, tt.status, tt.body)
			})
			c := newTestClient(t, srv, func(cfg *Config) {
				cfg.Decode = quotaDecoder
				cfg.RequestIDHeaders = []string{"x-request-id", "fly-request-id"}
			})
			err := c.Do(context.Background(), Request{Op: "get sandbox", Path: "sandboxes/s1"}, nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.want)
			}
			if got := providers.IsRetryable(err); got != tt.retryable {
				t.Errorf("IsRetryable = %v, want %v", got, tt.retryable)
			}
			if got := hits.Load(); got != tt.hits {
				t.Errorf("server hits = %d, want %d", got, tt.hits)
			}
			var ae *providers.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %T, want *providers.APIError", err)
			}
			if ae.RequestID != "01K8RS9B59AX0ZS77B4YBQJJ1R-iad" || ae.Provider != "fake" || ae.Op != "get sandbox" ||
				ae.Method != "GET" || ae.URL != srv.URL+"/v1/sandboxes/s1" || ae.Code != tt.code {
				t.Errorf("APIError = %+v", ae)
			}
			if ae.Message == "" {
				t.Error("APIError.Message is empty, want the platform's message")
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, code, message string
	}{
		{"fly", `{"error":"Validation failed: Name has already been taken","status":"name_taken"}`, "name_taken", "Validation failed: Name has already been taken"},
		{"fly message wins", `{"status":"error","message":"lease currently held","error":"x"}`, "error", "lease currently held"},
		{"runpod", `{"message":"pod not found"}`, "", "pod not found"},
		{"runpod text", "There are no longer any instances available\n", "", "There are no longer any instances available"},
		{"northflank wrapped", `{"error":{"status":404,"code":"not_found","message":"Not found","id":"x"}}`, "not_found", "Not found"},
		{"northflank top level", `{"status":409,"code":"conflict","message":"exists"}`, "conflict", "exists"},
		{"e2b", `{"code":503,"message":"busy","error_code":"sandbox_capacity_unavailable"}`, "sandbox_capacity_unavailable", "busy"},
		{"rfc 9457", `{"title":"Not Found","status":404,"detail":"pod p1 not found"}`, "", "pod p1 not found"},
		{"empty", ``, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, msg, cause := DecodeError(400, nil, []byte(tt.body))
			if code != tt.code || msg != tt.message || cause != nil {
				t.Errorf("DecodeError = %q, %q, %v; want %q, %q, nil", code, msg, cause, tt.code, tt.message)
			}
		})
	}
}

func TestMessageIsBounded(t *testing.T) {
	t.Parallel()
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"message":"`+strings.Repeat("é", 5000)+`"}`)
	})
	c := newTestClient(t, srv, nil)
	var ae *providers.APIError
	if err := c.Do(context.Background(), Request{Op: "get", Path: "x"}, nil); !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an APIError", err)
	}
	if n := len([]rune(ae.Message)); n > MaxMessage+1 {
		t.Errorf("message has %d characters, want at most %d", n, MaxMessage+1)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{BaseURL: "https://api.example"}, {Provider: "p"}, {Provider: "p", BaseURL: "api.example/v1"},
		{Provider: "p", BaseURL: "http://api.example/v1"}, {Provider: "p", BaseURL: "http://10.0.0.8:8080"},
		{Provider: "p", BaseURL: "http://localhost.example.com"}, {Provider: "p", BaseURL: "http://[::2]/"},
		{Provider: "p", BaseURL: "http://internal.example.com"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}

// TestNewAcceptsHTTPSAndLoopbackHTTP: https anywhere; plain http only to this machine, where
// the tests' fakes (and a local proxy) listen, and to private .internal names (Fly's API inside
// its network).
func TestNewAcceptsHTTPSAndLoopbackHTTP(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"https://api.example/v1", "http://127.0.0.1:8080", "http://127.3.4.5/", "http://[::1]:9/x", "http://localhost:1234", "http://_api.internal:4280/v1"} {
		if _, err := New(Config{Provider: "p", BaseURL: u}); err != nil {
			t.Errorf("New(%s): %v", u, err)
		}
	}
}

func TestRequestShape(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body string
	srv, _ := counting(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		writeJSON(w, 201, `{}`)
	})
	c := newTestClient(t, srv, func(cfg *Config) {
		cfg.Auth = HeaderAuth("X-API-Key", "e2b_key")
		cfg.UserAgent = "sindri-test"
	})
	err := c.Do(context.Background(), Request{Op: "create", Method: http.MethodPost, Path: "/apps/a%2Fb/machines",
		Query: map[string][]string{"metadata": {"a=b&c=d"}}, Header: http.Header{"Fly-Machine-Lease-Nonce": {"n1"}},
		Body: map[string]string{"html": "<b>"}}, nil)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if got.URL.EscapedPath() != "/v1/apps/a%2Fb/machines" || got.URL.Query().Get("metadata") != "a=b&c=d" {
		t.Errorf("URL = %s", got.URL)
	}
	if got.Header.Get("X-API-Key") != "e2b_key" || got.Header.Get("User-Agent") != "sindri-test" ||
		got.Header.Get("Content-Type") != "application/json" || got.Header.Get("Fly-Machine-Lease-Nonce") != "n1" {
		t.Errorf("headers = %v", got.Header)
	}
	if body != `{"html":"<b>"}` {
		t.Errorf("body = %s", body)
	}
}
