package rest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// budgetServer answers 200 with Northflank's headers: remaining 0 until reset seconds pass.
func budgetServer(t *testing.T, reset string) (string, func() int32) {
	t.Helper()
	srv, hits := counting(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ratelimit-limit", "1000")
		w.Header().Set("x-ratelimit-remaining", "0")
		w.Header().Set("x-ratelimit-reset", reset)
		writeJSON(w, 200, `{"data":{}}`)
	})
	return srv.URL, hits.Load
}

func TestLimiterIsSharedPerToken(t *testing.T) {
	t.Parallel()
	const reset = 300 * time.Millisecond
	url, _ := budgetServer(t, "0.3")
	reg := NewLimiters(time.Minute)
	client := func(token string) *Client {
		c, err := New(Config{BaseURL: url, Provider: "northflank", Auth: BearerAuth(token), Limiter: reg.For("northflank", token)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	envA, envB, other := client("token-a"), client("token-a"), client("token-b")
	ctx := context.Background()
	if err := envA.Do(ctx, Request{Op: "get service", Path: "s"}, nil); err != nil {
		t.Fatalf("first request: %v", err)
	}
	start := time.Now()
	if err := other.Do(ctx, Request{Op: "get service", Path: "s"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got > reset/2 {
		t.Errorf("another token's request waited %v, want no wait", got)
	}
	start = time.Now()
	if err := envB.Do(ctx, Request{Op: "get service", Path: "s"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got < reset-50*time.Millisecond {
		t.Errorf("same token's request waited %v, want about %v until the reset", got, reset)
	}
}

func TestLimiterFailsFastBeyondItsBound(t *testing.T) {
	t.Parallel()
	url, hits := budgetServer(t, "3600")
	l := NewLimiters(time.Second).For("northflank", "tok")
	c, err := New(Config{BaseURL: url, Provider: "northflank", Limiter: l})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), Request{Op: "get", Path: "s"}, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Do(context.Background(), Request{Op: "get", Path: "s"}, nil)
	if !errors.Is(err, ErrRateLimited) || !errors.Is(err, providers.ErrUnavailable) || !providers.IsRetryable(err) {
		t.Errorf("err = %v, want a retryable ErrRateLimited", err)
	}
	if got := providers.RetryAfterOf(err); got < 59*time.Minute || got > time.Hour {
		t.Errorf("RetryAfterOf = %v, want about 1h", got)
	}
	// The reset is an hour after the first answer; the minute may turn while the test runs.
	a, b := start.Add(59*time.Minute).UTC().Format("15:04"), start.Add(time.Hour).UTC().Format("15:04")
	if err == nil || !strings.Contains(err.Error(), "waiting until "+a) && !strings.Contains(err.Error(), "waiting until "+b) {
		t.Errorf("err = %v, want it to say until when (%s or %s UTC)", err, a, b)
	}
	if hits() != 1 || time.Since(start) > 500*time.Millisecond {
		t.Errorf("hits = %d after %v; want the second request refused at once, unsent", hits(), time.Since(start))
	}
}

// observed returns a new Limiter fed one response with the given header pairs.
func observed(status int, kv ...string) *Limiter {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	l := NewLimiter(time.Minute)
	l.Observe(status, h)
	return l
}

func TestLimiterSpendsBetweenResponses(t *testing.T) {
	t.Parallel()
	l := observed(200, "x-ratelimit-remaining", "2", "x-ratelimit-reset", "30")
	if a, b, c := l.take(), l.take(), l.take(); a != 0 || b != 0 || c < 29*time.Second {
		t.Errorf("take = %v, %v, %v; want 0, 0, then the wait until reset", a, b, c)
	}
}

func TestLimiterRetryAfterBlocksEveryone(t *testing.T) {
	t.Parallel()
	l := observed(429, "Retry-After", "0.2")
	start := time.Now()
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got < 150*time.Millisecond {
		t.Errorf("waited %v, want the 200ms Retry-After", got)
	}
}

func TestLimiterWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	l := observed(200, "RateLimit-Remaining", "0", "RateLimit-Reset", "30")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v, want the context's deadline", err)
	}
}

func TestLimitersAndFingerprint(t *testing.T) {
	t.Parallel()
	reg := NewLimiters(0)
	if reg.For("nf", "a") != reg.For("nf", "a") || reg.For("nf", "a") == reg.For("nf", "b") || reg.For("nf", "a") == reg.For("e2b", "a") {
		t.Error("For must return one Limiter per provider and token")
	}
	const token = "nf-secret-token"
	fp := Fingerprint(token)
	if len(fp) != 16 || strings.Contains(fp, token) || fp != Fingerprint(token) || fp == Fingerprint(token+"x") {
		t.Errorf("Fingerprint = %q", fp)
	}
	var nilLimiter *Limiter
	nilLimiter.Observe(429, http.Header{"Retry-After": {"10"}})
	if err := nilLimiter.Wait(context.Background()); err != nil {
		t.Errorf("nil Limiter Wait = %v", err)
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   rateInfo
	}{
		{"northflank", map[string]string{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1800"},
			rateInfo{remaining: 0, known: true, reset: 30 * time.Minute}},
		{"e2b", map[string]string{"RateLimit-Remaining": "3", "RateLimit-Reset": "12", "Retry-After": "7"},
			rateInfo{remaining: 3, known: true, reset: 12 * time.Second, retryAfter: 7 * time.Second}},
		{"reset as a unix time", map[string]string{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1777636860"},
			rateInfo{remaining: 0, known: true, reset: time.Minute}},
		{"runpod v2 structured", map[string]string{"RateLimit": `"minute";r=0;t=12, "hour";r=2800;t=1812, "day";r=0;t=45`},
			rateInfo{remaining: 0, known: true, reset: 45 * time.Second}},
		{"retry-after date", map[string]string{"Retry-After": "Fri, 01 May 2026 12:00:30 GMT"},
			rateInfo{retryAfter: 30 * time.Second}},
		{"retry-after in the past", map[string]string{"Retry-After": "Fri, 01 May 2026 11:00:00 GMT"}, rateInfo{}},
		{"garbage", map[string]string{"Retry-After": "soon", "x-ratelimit-remaining": "lots"}, rateInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := parseRate(h, now); got != tt.want {
				t.Errorf("parseRate = %+v, want %+v", got, tt.want)
			}
		})
	}
}
