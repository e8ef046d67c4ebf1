package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// retryTransport retries what is safe to retry, waiting as GitHub asks:
//   - 429, and 403 that is a primary (x-ratelimit-remaining: 0) or secondary rate limit: any
//     method (GitHub did not act on the request), waiting Retry-After, or until
//     x-ratelimit-reset, or for a secondary limit that names no wait one minute, doubled on
//     each repetition (GitHub's documented advice). These waits do not use up maxRetries;
//     at most maxRateWaits are made per request;
//   - 5xx and transport errors: idempotent methods, and POSTs whose repetition is harmless
//     (deployment statuses, reactions); creates of comments and deployments are not retried
//     here because the Client looks for the created object before trying again.
//
// An answer that leaves no request (x-ratelimit-remaining: 0 on a success) makes the next
// request wait for x-ratelimit-reset first, rather than be refused.
//
// A wait is made only when it ends before the request's deadline (the run's context) and is
// no longer than maxWait (the job's timeout, when the caller set it); otherwise, and beyond
// maxRetries, the last response is returned. Every rate-limit wait is announced through
// progress first.
type retryTransport struct {
	base       http.RoundTripper
	maxRetries int
	maxWait    time.Duration
	wait       func(ctx context.Context, d time.Duration) error
	now        func() time.Time
	progress   func(string)

	mu sync.Mutex
	// exhausted is when the primary rate limit resets after an answer said none is left.
	exhausted time.Time
}

// maxRateWaits bounds the rate-limit waits of one request.
const maxRateWaits = 8

// why tells a rate-limit wait from a retry after a failure.
type why int

const (
	noRetry why = iota
	retryFailure
	retryRateLimit
)

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := t.awaitReset(ctx, req); err != nil {
		return nil, err
	}
	rateWaits := 0
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.Body != nil && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		d, reason, what := t.decide(req, resp, err, attempt, rateWaits)
		switch reason {
		case noRetry:
			t.noteExhausted(resp)
			return resp, err
		case retryFailure:
			if attempt >= t.maxRetries || !t.fits(ctx, d) {
				return resp, err
			}
		case retryRateLimit:
			rateWaits++
			if rateWaits > maxRateWaits {
				t.say(fmt.Sprintf("GitHub: %s on %s %s again after %d waits: not retrying", what, req.Method, req.URL.Path, maxRateWaits))
				return resp, err
			}
			if !t.fits(ctx, d) {
				t.say(fmt.Sprintf("GitHub: %s on %s %s asks for a wait of %s, beyond what this run may wait: not retrying", what, req.Method, req.URL.Path, d))
				return resp, err
			}
			t.say(fmt.Sprintf("GitHub: %s on %s %s: waiting %s as GitHub asks, then retrying (wait %d of at most %d)", what, req.Method, req.URL.Path, d, rateWaits, maxRateWaits))
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if werr := t.wait(ctx, d); werr != nil {
			return nil, werr
		}
	}
}

// fits reports whether a wait of d may be made: no longer than maxWait, and over before the
// request's deadline.
func (t *retryTransport) fits(ctx context.Context, d time.Duration) bool {
	if d > t.maxWait {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || t.now().Add(d).Before(deadline)
}

func (t *retryTransport) say(line string) {
	if t.progress != nil {
		t.progress(line)
	}
}

// awaitReset waits, when an earlier answer left no request, until the primary rate limit
// resets. A wait that does not fit is not made: GitHub then answers the request itself.
func (t *retryTransport) awaitReset(ctx context.Context, req *http.Request) error {
	t.mu.Lock()
	d := t.exhausted.Sub(t.now())
	t.mu.Unlock()
	if d <= 0 || !t.fits(ctx, d) {
		return nil
	}
	t.say(fmt.Sprintf("GitHub: primary rate limit used up; waiting %s for it to reset before %s %s", d.Round(time.Second), req.Method, req.URL.Path))
	return t.wait(ctx, d)
}

// noteExhausted remembers, from an answer that leaves no request, when the limit resets, and
// takes the rate headers off a successful answer: go-github would otherwise refuse every
// later request itself until the reset, which this transport waits out instead.
func (t *retryTransport) noteExhausted(resp *http.Response) {
	if resp == nil || resp.Header.Get("X-Ratelimit-Remaining") != "0" {
		return
	}
	reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64)
	if err != nil {
		return
	}
	t.mu.Lock()
	t.exhausted = time.Unix(reset, 0).Add(time.Second)
	t.mu.Unlock()
	if resp.StatusCode < 400 {
		resp.Header.Del("X-Ratelimit-Remaining")
		resp.Header.Del("X-Ratelimit-Reset")
	}
}

// decide returns how long to wait before the next attempt, why one is made (noRetry: none),
// and, for a rate limit, which one it is.
func (t *retryTransport) decide(req *http.Request, resp *http.Response, err error, attempt, rateWaits int) (time.Duration, why, string) {
	backoff := time.Duration(math.Min(float64(time.Second)*math.Pow(2, float64(attempt)), float64(30*time.Second)))
	failure := func(ok bool) why {
		if ok {
			return retryFailure
		}
		return noRetry
	}
	if err != nil {
		if req.Context().Err() != nil {
			return 0, noRetry, ""
		}
		return backoff, failure(replayable(req)), ""
	}
	secondary := time.Minute << min(rateWaits, 4)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return t.rateWait(resp, secondary), retryRateLimit, "rate limit (429)"
	case resp.StatusCode == http.StatusForbidden && t.isRateLimit(resp):
		what := "secondary rate limit (403)"
		if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
			what = "primary rate limit (403)"
		}
		return t.rateWait(resp, secondary), retryRateLimit, what
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		if d, ok := retryAfter(resp); ok {
			backoff = d
		}
		return backoff, failure(replayable(req)), ""
	}
	return 0, noRetry, ""
}

func (t *retryTransport) rateWait(resp *http.Response, fallback time.Duration) time.Duration {
	if d, ok := retryAfter(resp); ok {
		return d
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			if d := time.Unix(reset, 0).Sub(t.now()) + time.Second; d > 0 {
				return d
			}
			return time.Second
		}
	}
	return fallback
}

func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

// isRateLimit tells a rate-limit 403 from a permission 403: the rate-limit headers, or the
// documentation_url GitHub sets on secondary rate limit responses. The body is restored.
func (t *retryTransport) isRateLimit(resp *http.Response) bool {
	if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		return true
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var e struct {
		DocumentationURL string `json:"documentation_url"`
	}
	return json.Unmarshal(body, &e) == nil && strings.Contains(e.DocumentationURL, "secondary-rate-limits")
}

func replayable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	case http.MethodPost:
		p := req.URL.Path
		return strings.HasSuffix(p, "/statuses") || strings.HasSuffix(p, "/reactions")
	}
	return false
}
