// Package runpod is the RunPod provider: it runs one Sindri environment as one RunPod pod
// (GPU or CPU), talking to the RunPod REST API (v2; v1 was retired on 2026-11-15) with no CLI.
//
// RunPod pod names are not unique and pods carry no labels, so a pod is the environment's
// when its name is the environment name AND its env holds SINDRI_ENV=<env> (read back from
// the API); its labels travel in SINDRI_LABELS and the config hash in SINDRI_CONFIG_HASH.
// The provider looks for that pod before every create and after a create whose answer was
// lost, so a 5xx after a successful create never makes a second pod; two pods of one
// environment are refused, never guessed between.
package runpod

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// Name is the provider's registry name.
const Name = "runpod"

// CredentialVar is the API key's variable and secret name.
const CredentialVar = "RUNPOD_API_KEY"

// Defaults used when Config leaves a field empty.
const (
	DefaultPollInterval  = 5 * time.Second
	DefaultTimeout       = 10 * time.Minute
	DefaultProxyFallback = 90 * time.Second
	// cleanupTimeout bounds rollback work that runs after the caller's context is gone.
	cleanupTimeout = 60 * time.Second
	// logLines is how many log lines a failure report carries.
	logLines = 20
)

// Config configures a Provider. The caller (cmd/*) reads the environment; this package never
// does (see ConfigFromEnv).
type Config struct {
	// APIURL is the REST API root (setting api_url); empty means DefaultAPIURL.
	APIURL string
	// APIKey is RUNPOD_API_KEY from the executor. Empty is allowed: a job may carry the key
	// as a credential, and operations without one fail with providers.MissingCredential.
	APIKey string
	// HTTPClient sends the requests; nil means the rest client's default.
	HTTPClient *http.Client
	// Limiters, when set, is the executor's shared per-token rate budget.
	Limiters *rest.Limiters
	// PollInterval is the wait between readiness polls (default DefaultPollInterval).
	PollInterval time.Duration
	// DefaultTimeout bounds Deploy's and Start's wait for readiness when Spec.Options.Timeout
	// is 0 (default DefaultTimeout).
	DefaultTimeout time.Duration
	// ProxyFallback is how long a running pod without a public address (a Community Cloud
	// pod) is waited for before readiness is judged through the HTTP proxy instead.
	ProxyFallback time.Duration
	// ProxyURL formats a pod's HTTP proxy URL from its id and port; empty means
	// https://<id>-<port>.proxy.runpod.net.
	ProxyURL func(podID string, port int) string
	// MaxRetries is passed to the rest client (0: its default; negative: never).
	MaxRetries int
	// BackoffBase is passed to the rest client (0: its default).
	BackoffBase time.Duration
}

// Provider is the RunPod provider. It is safe for concurrent use on different environments.
type Provider struct {
	cfg Config
}

var (
	_ providers.Provider = (*Provider)(nil)
	_ providers.Checker  = (*Provider)(nil)
	_ providers.Lister   = (*Provider)(nil)
)

// New returns a Provider for cfg. It never fails for a missing key (operations report it);
// it returns an error for an api_url that is not an absolute http(s) URL.
func New(cfg Config) (*Provider, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if _, err := rest.New(rest.Config{BaseURL: cfg.APIURL, Provider: Name}); err != nil {
		return nil, fmt.Errorf("runpod: api_url %q: %w", cfg.APIURL, err)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = DefaultTimeout
	}
	if cfg.ProxyFallback <= 0 {
		cfg.ProxyFallback = DefaultProxyFallback
	}
	if cfg.ProxyURL == nil {
		cfg.ProxyURL = func(id string, port int) string { return fmt.Sprintf("https://%s-%d.proxy.runpod.net", id, port) }
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	return &Provider{cfg: cfg}, nil
}

// Name implements providers.Provider.
func (*Provider) Name() string { return Name }

// Capabilities implements providers.Provider.
func (*Provider) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		GPU:          true,
		StopStart:    true,
		StopMode:     "stop",
		ConnectKinds: []providers.ConnectKind{providers.ConnectSSH, providers.ConnectHTTP},
		UsesHandle:   true,
		Credentials:  []string{CredentialVar},
	}
}

// Check implements providers.Checker: the API key must be set on the executor (a job may
// still bring its own, so this is advice, not a refusal).
func (p *Provider) Check(context.Context) providers.Readiness {
	if p.cfg.APIKey == "" {
		return providers.Readiness{Problems: []string{CredentialVar}}
	}
	return providers.Readiness{Ready: true, Version: "REST v2"}
}

// apiFor returns the API client for s's credential: the executor's key, else the job's
// RUNPOD_API_KEY credential. secrets are redacted from its recordings. Errors:
// providers.MissingCredential.
func (p *Provider) apiFor(s *providers.Spec, secrets []string) (*apiV2, error) {
	key := p.cfg.APIKey
	if key == "" && s != nil {
		for _, c := range s.Credentials {
			if c.Name == CredentialVar && c.Value != nil {
				key = c.Value.Reveal()
			}
		}
	}
	if key == "" {
		return nil, providers.MissingCredential(Name, CredentialVar)
	}
	auth := rest.BearerAuth(key)
	var limiter *rest.Limiter
	if p.cfg.Limiters != nil {
		limiter = p.cfg.Limiters.For(Name, key)
	}
	c, err := rest.New(rest.Config{
		BaseURL:          p.cfg.APIURL,
		Provider:         Name,
		Auth:             auth,
		RequestIDHeaders: []string{"X-Request-Id", "Cf-Ray"},
		Decode:           decodeError,
		HTTPClient:       p.cfg.HTTPClient,
		Secrets:          []string{key},
		Limiter:          limiter,
		MaxRetries:       p.cfg.MaxRetries,
		BackoffBase:      p.cfg.BackoffBase,
	})
	if err != nil {
		return nil, err
	}
	return &apiV2{c: c, secrets: secrets, base: p.cfg.APIURL, auth: auth, http: p.cfg.HTTPClient}, nil
}
