package rest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// ErrRateLimited is returned (wrapped, with a delay for providers.RetryAfterOf) when a
// token's budget is exhausted for longer than its Limiter may wait. It matches
// providers.ErrUnavailable, and providers.IsRetryable reports true, so the executor requeues
// the job instead of holding a worker until the window resets.
var ErrRateLimited = fmt.Errorf("rate limit budget exhausted: %w", providers.ErrUnavailable)

// DefaultMaxLimiterWait is how long a Limiter blocks a request, at most, when its Limiters
// registry names no other bound.
const DefaultMaxLimiterWait = time.Minute

// Limiter is one token's request budget as the platform reports it in response headers. Every
// Client using the same token must share one Limiter (get it from Limiters.For), so the
// environments of an executor spend one budget together. A nil Limiter never blocks.
type Limiter struct {
	maxWait time.Duration
	now     func() time.Time

	mu sync.Mutex
	// remaining is the budget left until reset; -1 when unknown. Wait spends from it, so
	// requests between two responses do not all pass on one stale figure.
	remaining int
	reset     time.Time
	// until is set by a 429's Retry-After: nobody sends before it.
	until time.Time
}

// NewLimiter returns a Limiter that blocks a request at most maxWait (<= 0:
// DefaultMaxLimiterWait) before failing with ErrRateLimited.
func NewLimiter(maxWait time.Duration) *Limiter {
	if maxWait <= 0 {
		maxWait = DefaultMaxLimiterWait
	}
	return &Limiter{maxWait: maxWait, now: time.Now, remaining: -1}
}

// Wait returns when a request may be sent. It blocks while the budget is exhausted and the
// window resets within the Limiter's bound; beyond it, it returns an error wrapping
// ErrRateLimited that carries the delay (providers.RetryAfterOf). It returns ctx's error if
// ctx ends first.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	for {
		d := l.take()
		if d <= 0 {
			return nil
		}
		if d > l.maxWait {
			// Said as a time of day too: the job's retrying event and summary tell the user
			// until when it waits, not only how long from some moment they did not see.
			until := time.Now().Add(d).UTC().Format("15:04:05 MST")
			return providers.TransientAfter(fmt.Errorf("waiting until %s (%s) for the budget to reset: %w", until, d.Round(time.Second), ErrRateLimited), d)
		}
		if err := ctxwait.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// take spends one request from the budget and returns 0, or returns how long to wait.
func (l *Limiter) take() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.until) {
		return l.until.Sub(now)
	}
	if l.remaining == 0 {
		if now.Before(l.reset) {
			return l.reset.Sub(now)
		}
		// The window has refilled; the next response says by how much.
		l.remaining = -1
	}
	if l.remaining > 0 {
		l.remaining--
	}
	return 0
}

// Observe feeds the Limiter a response's status and headers.
func (l *Limiter) Observe(status int, h http.Header) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.observe(status, parseRate(h, now), now)
}

func (l *Limiter) observe(status int, ri rateInfo, now time.Time) {
	if ri.known {
		l.remaining = max(ri.remaining, 0)
		l.reset = now.Add(ri.reset)
		if ri.reset == 0 && l.remaining == 0 {
			// Exhausted without a reset time: let the next request find out.
			l.remaining = -1
		}
	}
	if status == http.StatusTooManyRequests {
		wait := ri.retryAfter
		if wait == 0 && ri.known && ri.remaining <= 0 {
			wait = ri.reset
		}
		if until := now.Add(wait); until.After(l.until) {
			l.until = until
		}
	}
}

// Limiters holds one Limiter per provider and token, so every Client of an executor that uses
// the same credential shares a budget. Build one in cmd and pass it down; it is safe for
// concurrent use.
type Limiters struct {
	maxWait time.Duration
	mu      sync.Mutex
	m       map[string]*Limiter
}

// NewLimiters returns an empty registry whose Limiters block at most maxWait (<= 0:
// DefaultMaxLimiterWait).
func NewLimiters(maxWait time.Duration) *Limiters {
	return &Limiters{maxWait: maxWait, m: map[string]*Limiter{}}
}

// For returns the Limiter of provider's token, creating it on first use. The registry keys
// it by Fingerprint(token), never by the token itself.
func (r *Limiters) For(provider, token string) *Limiter {
	key := provider + "/" + Fingerprint(token)
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.m[key]
	if !ok {
		l = NewLimiter(r.maxWait)
		r.m[key] = l
	}
	return l
}

// Fingerprint identifies a token without revealing it: the first 16 hex digits of its
// SHA-256. Use it wherever a token must be named (map keys, logs).
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}
