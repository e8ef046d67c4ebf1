package github

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryTransport retries what is safe to retry, waiting as GitHub asks:
//   - 429, and 403 that is a primary (x-ratelimit-remaining: 0) or secondary rate limit: any
//     method (GitHub did not act on the request), waiting Retry-After, or until
//     x-ratelimit-reset, or one minute for a secondary limit that names no wait;
//   - 5xx and transport errors: idempotent methods, and POSTs whose repetition is harmless
//     (deployment statuses, reactions); creates of comments and deployments are not retried
//     here because the Client looks for the created object before trying again.
//
// Waits longer than maxWait, or retries beyond maxRetries, return the last response.
type retryTransport struct {
	base       http.RoundTripper
	maxRetries int
	maxWait    time.Duration
	wait       func(ctx context.Context, d time.Duration) error
	now        func() time.Time
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
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
		d, retry := t.decide(req, resp, err, attempt)
		if !retry || attempt >= t.maxRetries || d > t.maxWait {
			return resp, err
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

// decide returns how long to wait before the next attempt and whether to make one.
func (t *retryTransport) decide(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	backoff := time.Duration(math.Min(float64(time.Second)*math.Pow(2, float64(attempt)), float64(30*time.Second)))
	if err != nil {
		if req.Context().Err() != nil {
			return 0, false
		}
		return backoff, replayable(req)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return t.rateWait(resp, backoff), true
	case resp.StatusCode == http.StatusForbidden && t.isRateLimit(resp):
		return t.rateWait(resp, time.Minute), true
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		if d, ok := retryAfter(resp); ok {
			backoff = d
		}
		return backoff, replayable(req)
	}
	return 0, false
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
