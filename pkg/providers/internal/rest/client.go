package rest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Defaults applied by New to a Config's zero fields.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxRetries    = 3
	DefaultBackoffBase   = 250 * time.Millisecond
	DefaultBackoffMax    = 10 * time.Second
	DefaultMaxRetryAfter = 30 * time.Second
	DefaultUserAgent     = "sindri-deploy"
)

// maxResponseBody bounds a successful response body.
const maxResponseBody = 32 << 20

// Config configures a Client.
type Config struct {
	// BaseURL is the API root every Request.Path is relative to, base path included
	// ("https://api.machines.dev/v1"). Required.
	BaseURL string
	// Provider names the platform in errors ("fly"). Required.
	Provider string
	// Auth sets the credential on each request (see BearerAuth, HeaderAuth). The values it
	// sets are redacted from recordings and errors, and its headers are never recorded.
	Auth func(*http.Request) error
	// RequestIDHeaders are the response headers that carry the platform's request id, first
	// match wins ("fly-request-id").
	RequestIDHeaders []string
	// Decode reads error bodies; nil means DecodeError.
	Decode ErrorDecoder
	// HTTPClient sends the requests; nil means a client that refuses redirects to another
	// host, so a credential header never follows one.
	HTTPClient *http.Client
	// Timeout bounds each attempt when the caller's ctx has no deadline; a ctx deadline always
	// wins. 0 means DefaultTimeout.
	Timeout time.Duration
	// AttemptTimeout, when set, bounds each attempt even under a ctx deadline, so that a
	// request the platform holds forever is retried within the caller's deadline instead of
	// using all of it (EC2's calls are all quick).
	AttemptTimeout time.Duration
	// MaxRetries is how many times a retryable request is sent again after the first try;
	// 0 means DefaultMaxRetries, negative means never.
	MaxRetries int
	// BackoffBase and BackoffMax bound the exponential backoff between attempts; 0 means
	// DefaultBackoffBase and DefaultBackoffMax.
	BackoffBase, BackoffMax time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out itself; a longer one ends
	// the retries and the error carries the delay for the executor. 0 means
	// DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Jitter returns a random duration in [0, n); nil means math/rand/v2. Tests pass one that
	// returns 0.
	Jitter func(n time.Duration) time.Duration
	// UserAgent is sent on every request; "" means DefaultUserAgent.
	UserAgent string
	// Secrets are values that must never appear in an error or a recording (the token, for
	// example, if the auth hook does not set it verbatim).
	Secrets []string
	// SecretParams are query parameter names whose values are always redacted.
	SecretParams []string
	// Limiter is the token's shared budget (Limiters.For); nil means none.
	Limiter *Limiter
	// Recorder, when set, records every request sent.
	Recorder *Recorder
	// Unmarshal decodes a 2xx body into Do's out; nil means encoding/json. A Query API
	// answering XML (EC2) passes xml.Unmarshal.
	Unmarshal func(data []byte, v any) error
	// Accept is the Accept header; "" means application/json.
	Accept string
}

// Client sends JSON requests to one platform with one credential. It is safe for concurrent
// use; share it between environments.
type Client struct {
	base             *url.URL
	provider         string
	auth             func(*http.Request) error
	requestIDHeaders []string
	decode           ErrorDecoder
	http             *http.Client
	timeout          time.Duration
	attemptTimeout   time.Duration
	maxRetries       int
	backoffBase      time.Duration
	backoffMax       time.Duration
	maxRetryAfter    time.Duration
	jitter           func(time.Duration) time.Duration
	userAgent        string
	secrets          []string
	secretParams     []string
	limiter          *Limiter
	recorder         *Recorder
	unmarshal        func([]byte, any) error
	accept           string
	dryRun           bool
}

// New returns a Client for cfg, with defaults for its zero fields. It returns an error when
// BaseURL or Provider is missing, or BaseURL is not an absolute https URL (http only to a
// loopback address, a test's fake or a local proxy, or to a name under .internal, the top-level
// domain kept for private networks: Fly's _api.internal inside its WireGuard network).
func New(cfg Config) (*Client, error) {
	if cfg.Provider == "" {
		return nil, errors.New("rest: provider name is required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("rest: %s: base URL must be an absolute http(s) URL", cfg.Provider)
	}
	if base.Scheme == "http" && !private(base.Hostname()) {
		return nil, fmt.Errorf("rest: %s: base URL must be https: plain http would carry the credentials in clear text, and is accepted only to a loopback address (127.0.0.0/8, ::1, localhost) or a name under .internal (a private network's, e.g. Fly's _api.internal)", cfg.Provider)
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + "/"
	base.RawPath = ""
	c := &Client{
		base:             base,
		provider:         cfg.Provider,
		auth:             cfg.Auth,
		requestIDHeaders: cfg.RequestIDHeaders,
		decode:           cfg.Decode,
		http:             cfg.HTTPClient,
		timeout:          orDefault(cfg.Timeout, DefaultTimeout),
		attemptTimeout:   cfg.AttemptTimeout,
		maxRetries:       cfg.MaxRetries,
		backoffBase:      orDefault(cfg.BackoffBase, DefaultBackoffBase),
		backoffMax:       orDefault(cfg.BackoffMax, DefaultBackoffMax),
		maxRetryAfter:    orDefault(cfg.MaxRetryAfter, DefaultMaxRetryAfter),
		jitter:           cfg.Jitter,
		userAgent:        cfg.UserAgent,
		secrets:          cfg.Secrets,
		secretParams:     cfg.SecretParams,
		limiter:          cfg.Limiter,
		recorder:         cfg.Recorder,
		unmarshal:        cfg.Unmarshal,
		accept:           cfg.Accept,
	}
	if c.unmarshal == nil {
		c.unmarshal = json.Unmarshal
	}
	if c.accept == "" {
		c.accept = "application/json"
	}
	if c.decode == nil {
		c.decode = DecodeError
	}
	if c.http == nil {
		c.http = &http.Client{CheckRedirect: sameHostRedirect}
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.jitter == nil {
		c.jitter = randomJitter
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	return c, nil
}

// DryRun returns a copy of c that records mutating requests (every method but GET and HEAD)
// into rec and returns success without sending them; reads are still sent, and recorded,
// because a Plan must observe before it can say what it would change. A dry-run request leaves
// out untouched and never calls Recover.
func (c *Client) DryRun(rec *Recorder) *Client {
	d := *c
	d.recorder = rec
	d.dryRun = true
	return &d
}

// Request is one API call.
type Request struct {
	// Op names the operation in errors ("create machine").
	Op string
	// Operation names the request in metrics (providers.APIRequest): a fixed phrase without
	// values ("create machine", never "create machine m-123"); empty means the HTTP method.
	Operation string
	Method    string
	// Path is relative to the base URL, already escaped ("apps/" + url.PathEscape(name)).
	Path  string
	Query url.Values
	// Header holds extra request headers (Fly's fly-machine-lease-nonce).
	Header http.Header
	// Body is sent as JSON when non-nil.
	Body any
	// Form, when non-nil and Body is nil, is sent as an application/x-www-form-urlencoded
	// body (the AWS Query APIs: Action=RunInstances&...).
	Form url.Values
	// Idempotent marks a request other than GET, PUT, DELETE or HEAD as safe to send twice,
	// so it is retried like them.
	Idempotent bool
	// ReadOnly marks a request other than GET or HEAD that only reads (a Query API's
	// Describe* POST), so that a DryRun client sends it as it sends a GET.
	ReadOnly bool
	// Recover looks up, after a non-idempotent request failed ambiguously (the connection
	// dropped after sending, a timeout, 408 or 5xx), whether it took effect anyway ("created,
	// but the response was lost"), typically by listing by name or label. found=true makes
	// Do return nil without decoding into out or filling Reply: Recover must keep what it
	// found (fill a variable the caller reads, as ExampleClient_Do does). found=false retries the request when the failure was
	// transient. Without Recover such a failure is returned, retryable, for the caller to
	// observe before trying again.
	Recover func(ctx context.Context) (found bool, err error)
	// Secrets are further values to redact for this request (secrets in its body).
	Secrets []string
	// Reply, when non-nil, receives the status and headers of a successful response (E2B's
	// X-Next-Token, 200 versus 201).
	Reply *Reply
}

// Reply is a successful response's status and headers.
type Reply struct {
	Status int
	Header http.Header
}

// idempotent reports whether the request may be sent twice.
func (r *Request) idempotent() bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return r.Idempotent
}

func readOnly(method string) bool {
	return method == http.MethodGet || method == http.MethodHead
}

// prepared is a Request resolved once for all its attempts.
type prepared struct {
	op, method  string
	operation   string // the metrics name: Request.Operation or the method
	url         *url.URL
	safeURL     string
	body        []byte
	contentType string
	header      http.Header
	authNames   map[string]bool
	redact      *Redactor
}

func (c *Client) prepare(req *Request) (*prepared, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	p := &prepared{op: req.Op, method: req.Method, header: req.Header, operation: cmp.Or(req.Operation, req.Method)}
	ref, err := url.Parse("./" + strings.TrimPrefix(req.Path, "/"))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: bad path: %w", c.provider, req.Op, err)
	}
	p.url = c.base.ResolveReference(ref)
	if len(req.Query) > 0 {
		p.url.RawQuery = req.Query.Encode()
	}
	if req.Body != nil {
		if p.body, err = marshalJSON(req.Body, false); err != nil {
			return nil, fmt.Errorf("%s: %s: encode body: %w", c.provider, req.Op, err)
		}
		p.contentType = "application/json"
	} else if req.Form != nil {
		p.body = []byte(req.Form.Encode())
		p.contentType = "application/x-www-form-urlencoded; charset=utf-8"
	}
	// Probe the auth hook once to learn which headers it sets and with what: they are
	// never recorded and their values are redacted everywhere.
	probe := &http.Request{Header: http.Header{}, URL: p.url, Method: req.Method}
	if c.auth != nil {
		if err := c.auth(probe); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", c.provider, req.Op, err)
		}
	}
	secrets := append(append([]string(nil), c.secrets...), req.Secrets...)
	for name, vals := range req.Query {
		// A secret parameter's value is a secret wherever it shows up, an echo included.
		if containsFold(c.secretParams, name) {
			secrets = append(secrets, vals...)
		}
	}
	p.authNames = map[string]bool{}
	for name, vals := range probe.Header {
		p.authNames[name] = true
		for _, v := range vals {
			secrets = append(secrets, credentialParts(v)...)
		}
	}
	p.redact = NewRedactor(secrets...)
	p.safeURL = safeURL(p.url, c.secretParams, p.redact)
	return p, nil
}

// credentialParts returns a header value and the words after its scheme ("Bearer X": X).
func credentialParts(v string) []string {
	parts := []string{v}
	if f := strings.Fields(v); len(f) > 1 {
		parts = append(parts, f[1:]...)
	}
	return parts
}

// newHTTPRequest builds one attempt's request.
func (c *Client) newHTTPRequest(ctx context.Context, p *prepared) (*http.Request, error) {
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	hr, err := http.NewRequestWithContext(ctx, p.method, p.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", c.provider, p.op, err)
	}
	for k, vs := range p.header {
		hr.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	hr.Header.Set("Accept", c.accept)
	hr.Header.Set("User-Agent", c.userAgent)
	if p.contentType != "" {
		hr.Header.Set("Content-Type", p.contentType)
	}
	if c.auth != nil {
		if err := c.auth(hr); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", c.provider, p.op, err)
		}
	}
	return hr, nil
}

// record adds the request to the recorder, redacted.
func (c *Client) record(p *prepared, dryRun bool) {
	if c.recorder == nil {
		return
	}
	var h http.Header
	for k, vs := range p.header {
		if p.authNames[http.CanonicalHeaderKey(k)] {
			continue
		}
		if h == nil {
			h = http.Header{}
		}
		for _, v := range vs {
			h.Add(k, p.redact.String(v))
		}
	}
	c.recorder.add(Call{
		Op:     p.op,
		Method: p.method,
		Path:   p.redact.String(p.url.EscapedPath()),
		Query:  redactQuery(p.url.Query(), c.secretParams, p.redact),
		Body:   p.redact.String(string(p.body)),
		Header: h,
		DryRun: dryRun,
	})
}

// Do sends req and decodes a 2xx JSON body into out (nil, a 204 or an empty body decode
// nothing). It retries idempotent requests on 408, 429, 502, 503, 504 and on transport
// failures, waiting with jittered exponential backoff or the platform's Retry-After; it
// retries a non-idempotent request only when the platform certainly did not apply it (429, a
// refused connection) or when req.Recover found nothing after an ambiguous failure.
//
// Errors: a non-2xx response is a *providers.APIError (errors.Is matches ErrNotFound,
// ErrConflict, ErrAuth, ErrUnavailable by status, and the decoder's cause); a transport
// failure is wrapped with the operation and the redacted URL, and marked transient when
// retrying could help; an exhausted rate-limit budget wraps ErrRateLimited; ctx's error when
// ctx ends. providers.IsRetryable and providers.RetryAfterOf classify all of them.
func (c *Client) Do(ctx context.Context, req Request, out any) error {
	p, err := c.prepare(&req)
	if err != nil {
		return err
	}
	if c.dryRun && !readOnly(p.method) && !req.ReadOnly {
		c.record(p, true)
		return nil
	}
	for attempt := 0; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return fmt.Errorf("%s: %s: %w", c.provider, p.op, err)
		}
		f := c.attempt(ctx, p, &req, out)
		if f == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %s: %w", c.provider, p.op, ctx.Err())
		}
		if !req.idempotent() && f.maybeApplied {
			if req.Recover == nil {
				return f.err
			}
			found, rerr := req.Recover(ctx)
			if rerr != nil {
				return errors.Join(f.err, fmt.Errorf("%s: %s: look up after a lost response: %w", c.provider, p.op, rerr))
			}
			if found {
				return nil
			}
		}
		if !f.transient || attempt >= c.maxRetries {
			return f.err
		}
		wait, ok := c.delay(attempt, f.retryAfter)
		if !ok {
			return f.err
		}
		if err := ctxwait.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %s: %w (last failure: %w)", c.provider, p.op, err, f.err)
		}
	}
}

// attempt sends the request once; nil means success.
func (c *Client) attempt(ctx context.Context, p *prepared, req *Request, out any) *failure {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	} else if c.attemptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.attemptTimeout)
		defer cancel()
	}
	hr, err := c.newHTTPRequest(ctx, p)
	if err != nil {
		return &failure{err: err}
	}
	c.record(p, false)
	resp, err := c.http.Do(hr)
	if err != nil {
		providers.ReportAPIRequest(providers.APIRequest{Provider: c.provider, Operation: p.operation, Status: "error"})
		return c.transportFailure(p, err)
	}
	defer resp.Body.Close()
	providers.ReportAPIRequest(providers.APIRequest{Provider: c.provider, Operation: p.operation, Status: strconv.Itoa(resp.StatusCode)})
	c.limiter.Observe(resp.StatusCode, resp.Header)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		ae := c.apiError(p, resp, body, parseRate(resp.Header, time.Now()))
		return &failure{
			err:          ae,
			transient:    ae.Retryable,
			maybeApplied: ambiguousStatus(resp.StatusCode),
			retryAfter:   ae.RetryAfter,
		}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		// The platform answered 2xx: the request was applied, only its reply is lost.
		return c.transportFailure(p, err)
	}
	if len(body) > maxResponseBody {
		return &failure{err: fmt.Errorf("%s: %s: response larger than %d bytes", c.provider, p.op, maxResponseBody)}
	}
	if out != nil && len(bytes.TrimSpace(body)) > 0 {
		if err := c.unmarshal(body, out); err != nil {
			return &failure{err: fmt.Errorf("%s: %s: decode response from %s: %w", c.provider, p.op, p.safeURL, err)}
		}
	}
	if req.Reply != nil {
		*req.Reply = Reply{Status: resp.StatusCode, Header: resp.Header.Clone()}
	}
	return nil
}

func sameHostRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refusing redirect to another host (%s)", req.URL.Host)
	}
	return nil
}

func randomJitter(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return rand.N(n)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// private reports whether host (a URL's host name) is this machine (localhost or a loopback IP
// address) or a name under .internal.
func private(host string) bool {
	host = strings.ToLower(host)
	if host == "localhost" || strings.HasSuffix(host, ".internal") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
