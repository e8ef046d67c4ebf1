package secrets

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/internal/excerpt"
)

// Vault and retry defaults (contract §1.5.2).
const (
	// DefaultVaultMount is the KV v2 mount used when a secret declares no vaultMount.
	DefaultVaultMount = "secret"
	// DefaultVaultTimeout bounds one Vault HTTP attempt when VaultConfig.Timeout is 0.
	DefaultVaultTimeout = 30 * time.Second
	// DefaultMaxRetries is the number of extra attempts after a transient Vault failure.
	DefaultMaxRetries = 3
	// DefaultRetryInitialDelay is the first wait before a retry; it doubles each time.
	DefaultRetryInitialDelay = 500 * time.Millisecond
	// DefaultRetryMaxDelay caps the wait between retries.
	DefaultRetryMaxDelay = 10 * time.Second
)

// maxVaultBody bounds how much of a Vault answer is read.
const maxVaultBody = 4 << 20

// VaultConfig says how to reach HashiCorp Vault. The caller fills it from VAULT_ADDR,
// VAULT_TOKEN, VAULT_NAMESPACE and VAULT_TIMEOUT; TLS settings (VAULT_SKIP_VERIFY, CA files)
// belong on ResolverConfig.HTTPClient. Vault counts as configured when Addr and Token are set.
type VaultConfig struct {
	// Addr is the Vault base URL, e.g. https://vault.example.com:8200.
	Addr string
	// Token is sent as X-Vault-Token. It is a Value so that printing the config never shows it.
	Token Value
	// Namespace, when set, is sent as X-Vault-Namespace (Vault Enterprise / HCP).
	Namespace string
	// Timeout bounds each HTTP attempt; 0 means DefaultVaultTimeout.
	Timeout time.Duration
}

// RetryPolicy is the backoff for transient Vault answers (429, 412, 5xx, network errors and
// per-attempt timeouts): MaxRetries extra attempts, waiting InitialDelay, then doubling up to
// MaxDelay. A Retry-After header longer than the current delay is honoured up to MaxDelay.
type RetryPolicy struct {
	// MaxRetries is the number of attempts after the first: 0 means DefaultMaxRetries and a
	// negative number means no retry.
	MaxRetries int
	// InitialDelay is the first wait; 0 means DefaultRetryInitialDelay.
	InitialDelay time.Duration
	// MaxDelay caps every wait; 0 means DefaultRetryMaxDelay.
	MaxDelay time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	switch {
	case p.MaxRetries == 0:
		p.MaxRetries = DefaultMaxRetries
	case p.MaxRetries < 0:
		p.MaxRetries = 0
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = DefaultRetryInitialDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryMaxDelay
	}
	if p.InitialDelay > p.MaxDelay {
		p.InitialDelay = p.MaxDelay
	}
	return p
}

// vaultClient reads KV v2 secrets.
type vaultClient struct {
	base    *url.URL
	token   Value
	ns      string
	timeout time.Duration
	http    *http.Client
	retry   RetryPolicy
}

// kvData is the data.data object of a KV v2 read.
type kvData map[string]json.RawMessage

// vaultPathFix is the warning text for a vaultPath that already names the KV v2 data prefix.
const vaultPathFix = "vaultPath already contains the KV v2 \"data/\" prefix, which the client adds itself; it was stripped"

// normalizeVaultPath cleans mount and path, strips the "data/" or "<mount>/data/" prefix that
// upstream configs carry (upstream then read <mount>/data/<mount>/data/...), and refuses empty,
// "." and ".." segments so a path cannot walk to other Vault endpoints. stripped reports whether
// a prefix was removed.
func normalizeVaultPath(mount, path string) (m, p string, stripped bool, err error) {
	m = strings.Trim(mount, "/")
	if m == "" {
		m = DefaultVaultMount
	}
	p = strings.Trim(path, "/")
	if rest, ok := strings.CutPrefix(p, m+"/data/"); ok {
		p, stripped = rest, true
	} else if rest, ok := strings.CutPrefix(p, "data/"); ok {
		p, stripped = rest, true
	}
	if err := checkSegments("vaultMount", m); err != nil {
		return "", "", false, err
	}
	if err := checkSegments("vaultPath", p); err != nil {
		return "", "", false, err
	}
	return m, p, stripped, nil
}

func checkSegments(field, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidSecret, field)
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %s %s has an empty, \".\" or \"..\" segment", ErrInvalidSecret, field, excerpt.Quote(s))
		}
	}
	return nil
}

// read performs GET {addr}/v1/{mount}/data/{path} with retries and returns data.data.
func (c *vaultClient) read(ctx context.Context, mount, path string) (kvData, error) {
	segs := append([]string{"v1"}, strings.Split(mount, "/")...)
	segs = append(segs, "data")
	segs = append(segs, strings.Split(path, "/")...)
	u := c.base.JoinPath(segs...)

	delay := c.retry.InitialDelay
	for attempt := 1; ; attempt++ {
		data, status, retryAfter, err := c.once(ctx, u)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, &VaultError{Mount: mount, Path: path, Status: status, Attempts: attempt, Err: ctx.Err()}
		}
		var perm permanentError
		if errors.As(err, &perm) || attempt > c.retry.MaxRetries {
			if !errors.As(err, &perm) {
				err = fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			return nil, &VaultError{Mount: mount, Path: path, Status: status, Attempts: attempt, Err: unwrapPermanent(err)}
		}
		wait := max(delay, retryAfter)
		wait = min(wait, c.retry.MaxDelay)
		if err := ctxwait.Sleep(ctx, wait); err != nil {
			return nil, &VaultError{Mount: mount, Path: path, Status: status, Attempts: attempt, Err: err}
		}
		delay = min(delay*2, c.retry.MaxDelay)
	}
}

// permanentError marks an answer that retrying cannot change.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func unwrapPermanent(err error) error {
	var p permanentError
	if errors.As(err, &p) {
		return p.err
	}
	return err
}

// once makes one attempt. Errors are transient unless wrapped in permanentError.
func (c *vaultClient) once(ctx context.Context, u *url.URL) (kvData, int, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, 0, permanentError{fmt.Errorf("%w: build request: %v", ErrInvalidConfig, err)}
	}
	req.Header.Set("X-Vault-Token", c.token.Reveal())
	req.Header.Set("X-Vault-Request", "true")
	req.Header.Set("Accept", "application/json")
	if c.ns != "" {
		req.Header.Set("X-Vault-Namespace", c.ns)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the URL (no token: it travels in a header) and the cause.
		var certErr *tls.CertificateVerificationError
		if errors.As(err, &certErr) {
			return nil, 0, 0, permanentError{fmt.Errorf("%w: vault TLS certificate not trusted (configure its CA, or VAULT_SKIP_VERIFY): %w", ErrInvalidConfig, err)}
		}
		return nil, 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxVaultBody+1))
	if err != nil {
		return nil, resp.StatusCode, 0, fmt.Errorf("read response: %w", err)
	}
	// Vault's error bodies are never copied into errors: only the status is reported.
	switch s := resp.StatusCode; {
	case s == http.StatusOK:
		if len(body) > maxVaultBody {
			return nil, s, 0, permanentError{fmt.Errorf("%w: response larger than %d bytes", ErrInvalidResponse, maxVaultBody)}
		}
		var env struct {
			Data *struct {
				Data kvData `json:"data"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			return nil, s, 0, permanentError{fmt.Errorf("%w: body is not KV v2 JSON", ErrInvalidResponse)}
		}
		if env.Data == nil {
			return nil, s, 0, permanentError{fmt.Errorf("%w: no data object (is the mount KV version 2?)", ErrInvalidResponse)}
		}
		if env.Data.Data == nil {
			return nil, s, 0, permanentError{fmt.Errorf("secret has no current data (deleted or destroyed version): %w", ErrNotFound)}
		}
		return env.Data.Data, s, 0, nil
	case s == http.StatusNotFound:
		return nil, s, 0, permanentError{ErrNotFound}
	case s == http.StatusForbidden:
		return nil, s, 0, permanentError{ErrPermissionDenied}
	case s == http.StatusTooManyRequests || s == http.StatusPreconditionFailed || s >= 500:
		return nil, s, retryAfterOf(resp), fmt.Errorf("HTTP %d", s)
	default:
		return nil, s, 0, permanentError{fmt.Errorf("%w: unexpected HTTP status", ErrInvalidResponse)}
	}
}

func retryAfterOf(resp *http.Response) time.Duration {
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// field returns data[key] as a string.
func (d kvData) field(key string) (string, error) {
	raw, ok := d[key]
	if !ok {
		return "", fmt.Errorf("key %s is not in the secret: %w", excerpt.Quote(key), ErrNotFound)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("key %s is %s, not a string: %w", excerpt.Quote(key), jsonKind(raw), ErrInvalidResponse)
	}
	return s, nil
}

// jsonKind names the JSON type of raw without echoing its content.
func jsonKind(raw json.RawMessage) string {
	t := strings.TrimSpace(string(raw))
	switch {
	case t == "null":
		return "null"
	case t == "true" || t == "false":
		return "a boolean"
	case strings.HasPrefix(t, "{"):
		return "an object"
	case strings.HasPrefix(t, "["):
		return "an array"
	case strings.HasPrefix(t, "\""):
		return "a malformed string"
	default:
		return "a number"
	}
}
