// Package northflank is the Northflank provider: it runs one Sindri environment as one
// Northflank deployment service (external image), with an optional ReadWriteOnce volume for
// the workspace, in a project, talking to the Northflank REST API v1 with no CLI.
//
// Names are per environment, derived from the env name and the repository label, shortened
// and hashed to the platform's limits (names.go): the project (when the config names none, a
// project of the environment's own, which Destroy removes), the service and the volume. What
// the provider made carries the tags sindri-deploy and sindri-env-<hash>; a service or volume
// of the derived name without them is someone else's and is never touched. A project the
// config names is the user's: it is created when missing and never deleted.
//
// Every request spends from the token's budget (1000 requests an hour by default), which the
// provider reads from the x-ratelimit-* headers into a limiter shared by every environment of
// the executor (Config.Limiters); an exhausted budget that resets later than the limiter may
// wait is a retryable error carrying the reset, so the executor requeues the job.
package northflank

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// Name is the provider's registry name.
const Name = "northflank"

// CredentialVar is the API token's variable and secret name.
const CredentialVar = "NORTHFLANK_API_TOKEN"

// DefaultAPIURL is the Northflank REST API v1 root.
const DefaultAPIURL = "https://api.northflank.com/v1"

// Defaults used when Config leaves a field empty.
const (
	// DefaultPollInterval keeps one environment's readiness wait near 300 requests an hour
	// (with the containers check), inside the 1000-an-hour budget every environment shares.
	DefaultPollInterval = 12 * time.Second
	DefaultTimeout      = 15 * time.Minute
	// DefaultMaxLimiterWait is how long a request waits for the budget's reset before the
	// job is handed back to the executor with the reset as its Retry-After.
	DefaultMaxLimiterWait = time.Minute
	cleanupTimeout        = 60 * time.Second
	logLines              = 20
)

// Config configures a Provider. The caller (cmd/*) reads the environment; this package never
// does (see ConfigFromEnv).
type Config struct {
	// APIURL is the REST API root (setting api_url); empty means DefaultAPIURL.
	APIURL string
	// Token is NORTHFLANK_API_TOKEN from the executor. Empty is allowed: a job may carry it as
	// a credential, and operations without one fail with providers.MissingCredential.
	Token string
	// HTTPClient sends the requests; nil means the rest client's default.
	HTTPClient *http.Client
	// Limiters is the executor's per-token budget registry; nil means one of the provider's
	// own, shared by every environment it serves.
	Limiters *rest.Limiters
	// PollInterval is the wait between readiness polls (default DefaultPollInterval; tests
	// set milliseconds).
	PollInterval time.Duration
	// DefaultTimeout bounds Deploy's and Start's wait when Spec.Options.Timeout is 0.
	DefaultTimeout time.Duration
	// MaxRetries and BackoffBase are passed to the rest client (0: its defaults).
	MaxRetries  int
	BackoffBase time.Duration
}

// Provider is the Northflank provider. It is safe for concurrent use on different
// environments.
type Provider struct {
	cfg Config
}

var (
	_ providers.Provider = (*Provider)(nil)
	_ providers.Checker  = (*Provider)(nil)
	_ providers.Lister   = (*Provider)(nil)
)

// New returns a Provider for cfg. It never fails for a missing token (operations report it);
// it returns an error for an api_url that is not an absolute http(s) URL.
func New(cfg Config) (*Provider, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if _, err := rest.New(rest.Config{BaseURL: cfg.APIURL, Provider: Name}); err != nil {
		return nil, fmt.Errorf("northflank: api_url %q: %w", cfg.APIURL, err)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = DefaultTimeout
	}
	if cfg.Limiters == nil {
		cfg.Limiters = rest.NewLimiters(DefaultMaxLimiterWait)
	}
	return &Provider{cfg: cfg}, nil
}

// Name implements providers.Provider.
func (*Provider) Name() string { return Name }

// Capabilities implements providers.Provider. Stop pauses the service (no compute is billed;
// the volume is kept) and Start resumes it.
func (*Provider) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		GPU:          true,
		StopStart:    true,
		StopMode:     "pause",
		ConnectKinds: []providers.ConnectKind{providers.ConnectExec, providers.ConnectHTTP},
		UsesHandle:   true,
		Credentials:  []string{CredentialVar},
	}
}

// Check implements providers.Checker: the token must be set on the executor (a job may still
// bring its own, so this is advice, not a refusal).
func (p *Provider) Check(context.Context) providers.Readiness {
	if p.cfg.Token == "" {
		return providers.Readiness{Problems: []string{CredentialVar}}
	}
	return providers.Readiness{Ready: true, Version: "REST v1"}
}

// apiFor returns the API client for s's credential: the executor's token, else the job's
// NORTHFLANK_API_TOKEN credential. secrets are redacted from its recordings and errors.
// Errors: providers.MissingCredential.
func (p *Provider) apiFor(s *providers.Spec, secrets []string) (*api, error) {
	tok := p.cfg.Token
	if tok == "" && s != nil {
		for _, c := range s.Credentials {
			if c.Name == CredentialVar && c.Value != nil {
				tok = c.Value.Reveal()
			}
		}
	}
	if tok == "" {
		return nil, providers.MissingCredential(Name, CredentialVar)
	}
	c, err := rest.New(rest.Config{
		BaseURL:          p.cfg.APIURL,
		Provider:         Name,
		Auth:             rest.BearerAuth(tok),
		RequestIDHeaders: []string{"X-Request-Id", "Cf-Ray"},
		Decode:           decodeError,
		HTTPClient:       p.cfg.HTTPClient,
		Secrets:          append([]string{tok}, secrets...),
		Limiter:          p.cfg.Limiters.For(Name, tok),
		MaxRetries:       p.cfg.MaxRetries,
		BackoffBase:      p.cfg.BackoffBase,
	})
	if err != nil {
		return nil, err
	}
	return &api{c: c}, nil
}
