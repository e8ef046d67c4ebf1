package rest

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rateInfo is what a response's headers say about the token's budget.
type rateInfo struct {
	// remaining is the number of requests left in the window; known reports whether any
	// header named it.
	remaining int
	known     bool
	// reset is how long until the window refills (0 when not named).
	reset time.Duration
	// retryAfter is the Retry-After header's delay (0 when absent or unparseable).
	retryAfter time.Duration
}

// parseRate reads Retry-After (seconds or an HTTP date), Northflank's
// x-ratelimit-remaining/x-ratelimit-reset, E2B's RateLimit-Remaining/RateLimit-Reset, and the
// structured RateLimit header of RunPod v2 ("minute";r=0;t=12, "hour";r=2800;t=1812).
func parseRate(h http.Header, now time.Time) rateInfo {
	var ri rateInfo
	ri.retryAfter = parseRetryAfter(h.Get("Retry-After"), now)
	for _, prefix := range []string{"X-Ratelimit-", "Ratelimit-"} {
		n, err := strconv.Atoi(strings.TrimSpace(h.Get(prefix + "Remaining")))
		if err != nil {
			continue
		}
		ri.remaining, ri.known = n, true
		ri.reset = parseReset(h.Get(prefix+"Reset"), now)
		return ri
	}
	if r, t, ok := parseStructuredRateLimit(h.Get("Ratelimit")); ok {
		ri.remaining, ri.known, ri.reset = r, true, t
	}
	return ri
}

// parseRetryAfter accepts delay-seconds (fractions too, which tests use) or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if d, ok := parseSeconds(v); ok {
		return d
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// epochThreshold separates a reset given as seconds until the reset (Northflank, E2B) from
// one given as a Unix time, which some gateways send under the same name.
const epochThreshold = 1e9

// parseReset reads a reset header: seconds until the reset, or a Unix time.
func parseReset(v string, now time.Time) time.Duration {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	if f >= epochThreshold {
		at := time.Unix(0, int64(f*float64(time.Second)))
		if !at.After(now) {
			return 0
		}
		return at.Sub(now)
	}
	d, _ := parseSeconds(v)
	return d
}

func parseSeconds(v string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > float64(math.MaxInt64/int64(time.Second)) {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// parseStructuredRateLimit reads the IETF RateLimit header: a list of policies with r
// (remaining) and t (seconds to reset). The tightest policy wins: the fewest remaining, and
// among those the longest wait.
func parseStructuredRateLimit(v string) (remaining int, reset time.Duration, ok bool) {
	for _, item := range strings.Split(v, ",") {
		r, t, found := -1, time.Duration(0), false
		for _, param := range strings.Split(item, ";")[1:] {
			key, val, _ := strings.Cut(strings.TrimSpace(param), "=")
			switch key {
			case "r":
				if n, err := strconv.Atoi(val); err == nil {
					r, found = n, true
				}
			case "t":
				t, _ = parseSeconds(val)
			}
		}
		if !found {
			continue
		}
		if !ok || r < remaining || (r == remaining && t > reset) {
			remaining, reset, ok = r, t, true
		}
	}
	return remaining, reset, ok
}

// requestID returns the first non-empty value among the named headers.
func requestID(h http.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}
