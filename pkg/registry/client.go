package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
)

// Limits of one tag listing.
const (
	pageSize       = 1000
	maxPages       = 100
	maxTags        = 100_000
	maxPageBytes   = 8 << 20
	maxTokenBytes  = 1 << 20
	maxErrorBytes  = 4 << 10
	defaultTimeout = 30 * time.Second
)

// Defaults of Client's retry settings.
const (
	DefaultMaxAttempts  = 4
	DefaultRetryBase    = 500 * time.Millisecond
	DefaultMaxRetryWait = 30 * time.Second
)

// Credential is a registry login. For ghcr.io the username is "token" and the password a
// GitHub token (contract §1.3.2); for Docker Hub, a user and an access token.
type Credential struct {
	Username string
	Password string
}

// Client lists tags. The zero value is an anonymous client for the public registries.
type Client struct {
	// HTTP sends the requests; nil means a client with a 30s timeout.
	HTTP *http.Client
	// Endpoints maps an API host (ghcr.io, registry-1.docker.io) to the base URL that serves
	// it ("http://127.0.0.1:5000"); a host not listed is reached at https://host.
	Endpoints map[string]string
	// Credentials are the logins by registry host as images name it (ghcr.io, docker.io). They
	// are sent only to that registry's token service (basic auth), never elsewhere.
	Credentials map[string]Credential
	// MaxAttempts bounds the tries of one request on 429, 5xx and transport errors
	// (default DefaultMaxAttempts).
	MaxAttempts int
	// RetryBase is the first backoff (default DefaultRetryBase); it doubles per retry, jittered.
	RetryBase time.Duration
	// MaxRetryWait is the longest wait before a retry (default DefaultMaxRetryWait); a
	// Retry-After asking for more ends the listing with an error.
	MaxRetryWait time.Duration
}

// Error is a registry request that failed.
type Error struct {
	Repository string // host/name
	Op         string // "list tags", "get token"
	URL        string // without query
	Status     int    // 0 for a transport error
	Code       string // the OCI error code (NAME_UNKNOWN, UNAUTHORIZED, ...), when given
	Message    string
	Retryable  bool
	Err        error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "registry %s: %s", e.Repository, e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Tags returns every tag of image ("ghcr.io/pacphi/sindri"), in the registry's order, following
// Link pagination. A 401 with a Bearer challenge is answered with a token from the challenge's
// realm (with the host's Credential, else anonymous) and the request is sent again.
//
// Errors: ParseRepository's; an *Error naming the repository for a failed request (after the
// bounded retries for 429, 5xx and transport errors), an unreadable or oversized answer, or a
// listing larger than the limits; ctx's error when it ends first.
func (c *Client) Tags(ctx context.Context, image string) ([]string, error) {
	repo, err := ParseRepository(image)
	if err != nil {
		return nil, err
	}
	base, err := c.baseURL(repo.APIHost)
	if err != nil {
		return nil, &Error{Repository: repo.String(), Op: "list tags", Err: err}
	}
	next := base.JoinPath("v2", repo.Name, "tags", "list")
	next.RawQuery = url.Values{"n": {strconv.Itoa(pageSize)}}.Encode()
	s := &session{c: c, repo: repo}
	var tags []string
	for page := 0; next != nil; page++ {
		if page == maxPages {
			return nil, s.fail("list tags", next, 0, fmt.Errorf("more than %d pages", maxPages))
		}
		resp, body, err := s.get(ctx, "list tags", next, maxPageBytes)
		if err != nil {
			return nil, err
		}
		var list struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, s.fail("list tags", next, resp.StatusCode, fmt.Errorf("unreadable tag list: %w", err))
		}
		tags = append(tags, list.Tags...)
		if len(tags) > maxTags {
			return nil, s.fail("list tags", next, 0, fmt.Errorf("more than %d tags", maxTags))
		}
		if next, err = nextPage(resp.Header, next); err != nil {
			return nil, s.fail("list tags", resp.Request.URL, 0, err)
		}
	}
	return tags, nil
}

func (c *Client) baseURL(apiHost string) (*url.URL, error) {
	raw := "https://" + apiHost
	if loopbackHost(apiHost) {
		// As the Docker engine does, a registry on the local machine speaks plain HTTP.
		raw = "http://" + apiHost
	}
	if e, ok := c.Endpoints[apiHost]; ok {
		raw = e
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http(s) URL", raw)
	}
	return u, nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: defaultTimeout}
}

// session is one listing: the repository and the Authorization it has earned.
type session struct {
	c         *Client
	repo      Repository
	auth      string // Authorization header value
	challenge bool   // a challenge was answered; a second 401 is final
}

func (s *session) fail(op string, u *url.URL, status int, err error) *Error {
	return &Error{Repository: s.repo.String(), Op: op, URL: redactURL(u), Status: status, Err: err}
}

// get sends GET u with the session's authorization, answering one 401 challenge, and returns
// the 200 answer's body (at most limit bytes).
func (s *session) get(ctx context.Context, op string, u *url.URL, limit int64) (*http.Response, []byte, error) {
	for {
		resp, body, err := s.c.send(ctx, s.repo, op, u, s.auth, limit)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			return resp, body, nil
		case resp.StatusCode == http.StatusUnauthorized && !s.challenge:
			s.challenge = true
			auth, err := s.answer(ctx, resp.Header.Values("WWW-Authenticate"))
			if err != nil {
				return nil, nil, err
			}
			if auth != "" {
				s.auth = auth
				continue
			}
		}
		e := apiError(s.repo, op, u, resp.StatusCode, body)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			if _, ok := s.c.Credentials[s.repo.Host]; ok {
				e.Message += " (the credentials given for " + s.repo.Host + " were refused or lack read access)"
			} else {
				e.Message += " (a private repository needs credentials for " + s.repo.Host + ")"
			}
		}
		return nil, nil, e
	}
}

// send sends one GET with bounded retries on transport errors, 429 and 5xx, and returns the
// final answer with its body read (limit bytes at most for a 200, a little for others).
func (c *Client) send(ctx context.Context, repo Repository, op string, u *url.URL, auth string, limit int64) (*http.Response, []byte, error) {
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, nil, &Error{Repository: repo.String(), Op: op, URL: redactURL(u), Err: err}
		}
		req.Header.Set("Accept", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		var retryErr *Error
		var after time.Duration
		resp, err := c.httpClient().Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			retryErr = &Error{Repository: repo.String(), Op: op, URL: redactURL(u), Err: err, Retryable: true}
		} else {
			bodyMax := int64(maxErrorBytes)
			if resp.StatusCode == http.StatusOK {
				bodyMax = limit
			}
			body, rerr := readLimited(resp.Body, bodyMax, resp.StatusCode == http.StatusOK)
			_ = resp.Body.Close()
			if rerr != nil {
				return nil, nil, &Error{Repository: repo.String(), Op: op, URL: redactURL(u), Status: resp.StatusCode, Err: rerr}
			}
			if !retryable(resp.StatusCode) {
				return resp, body, nil
			}
			retryErr = apiError(repo, op, u, resp.StatusCode, body)
			retryErr.Retryable = true
			after, err = retryAfter(resp.Header.Get("Retry-After"), time.Now())
			if err != nil {
				retryErr.Message += "; " + err.Error()
			}
		}
		if attempt >= attempts {
			retryErr.Message = strings.TrimPrefix(retryErr.Message+fmt.Sprintf("; gave up after %d attempts", attempt), "; ")
			return nil, nil, retryErr
		}
		wait := c.backoff(attempt)
		if after > 0 {
			wait = after
		}
		if limit := c.maxRetryWait(); wait > limit {
			retryErr.Message = strings.TrimPrefix(retryErr.Message+fmt.Sprintf("; the registry asks to wait %s (more than %s)", wait, limit), "; ")
			return nil, nil, retryErr
		}
		if err := ctxwait.Sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	base := c.RetryBase
	if base <= 0 {
		base = DefaultRetryBase
	}
	d := base << (attempt - 1)
	return d/2 + rand.N(d/2+1)
}

func (c *Client) maxRetryWait() time.Duration {
	if c.MaxRetryWait > 0 {
		return c.MaxRetryWait
	}
	return DefaultMaxRetryWait
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500 && status != http.StatusNotImplemented
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 0 when absent.
func retryAfter(v string, now time.Time) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), nil
	}
	return 0, fmt.Errorf("unreadable Retry-After %q", v)
}

// readLimited reads at most limit bytes; more is an error when strict, else cut off.
func readLimited(r io.Reader, limit int64, strict bool) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if int64(len(b)) > limit {
		if strict {
			return nil, fmt.Errorf("answer larger than %d bytes", limit)
		}
		b = b[:limit]
	}
	return b, nil
}

// apiError reads the OCI error body ({"errors":[{"code","message"}]}) of a failed answer.
func apiError(repo Repository, op string, u *url.URL, status int, body []byte) *Error {
	e := &Error{Repository: repo.String(), Op: op, URL: redactURL(u), Status: status}
	var oci struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &oci) == nil && len(oci.Errors) > 0 {
		e.Code, e.Message = oci.Errors[0].Code, oci.Errors[0].Message
	} else if status != 0 {
		e.Message = http.StatusText(status)
	}
	return e
}

// nextPage returns the rel="next" target of the Link header, resolved against cur; nil when
// there is none. A next page on another host is refused: the session's token must not leave.
func nextPage(h http.Header, cur *url.URL) (*url.URL, error) {
	for _, v := range h.Values("Link") {
		for link := range strings.SplitSeq(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			if !isNext(params) {
				continue
			}
			ref, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">"))
			if err != nil {
				return nil, fmt.Errorf("unreadable Link %q: %w", target, err)
			}
			next := cur.ResolveReference(ref)
			if next.Host != cur.Host || next.Scheme != cur.Scheme {
				return nil, fmt.Errorf("the next page is on another origin (%s://%s)", next.Scheme, next.Host)
			}
			return next, nil
		}
	}
	return nil, nil
}

func isNext(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "rel") && strings.EqualFold(strings.Trim(v, `"`), "next") {
			return true
		}
	}
	return false
}

func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.User = "", nil
	return c.String()
}

// loopbackHost reports whether host (with an optional port) names this machine: localhost or
// a loopback address.
func loopbackHost(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}
