// Package e2b is the E2B provider: it runs one Sindri environment as one E2B sandbox, talking
// to the E2B REST API directly (X-API-Key; times in seconds; no CLI, no SDK).
//
// A sandbox's id is random, so the environment's sandbox is found by its metadata through
// GET /v2/sandboxes (the one listing that shows paused sandboxes): sindri.dev/env,
// sindri.dev/managed-by and the repository's hash. It is looked for before every create and
// after a create whose answer was lost. Metadata is fixed at create: it also carries the hash
// of the settings only a new sandbox can change (template, env vars, network).
//
// With deployment.image the provider builds a template from the image (POST /v3/templates,
// then a build fromImage; E2B has no Dockerfile upload for API keys), named
// sindri-<env>-<repo hash>-<content hash> so that no two environments' builds cancel each
// other, and deletes it with the environment. Without an image the sandbox runs the team's
// template providers.e2b.templateAlias, or E2B's public "base" template, and Plan says so.
//
// Stop pauses the sandbox (its memory and disk are kept), Start resumes it through connect;
// every Deploy sets the sandbox's timeout again, so an environment that is deployed again
// lives on. The sandbox is always created with an explicit timeout and autoPause: the API's
// defaults are 15 seconds and kill.
package e2b

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// URLError is a Config URL that New cannot use. Setting is its executor.hcl name (api_url,
// sandbox_url), Variable its environment variable; the message names both, never the URL,
// which may carry a login.
type URLError struct {
	Setting, Variable, URL string
	Err                    error
}

// Error implements error.
func (e *URLError) Error() string {
	return fmt.Sprintf("e2b: %s (setting %s): %v", e.Variable, e.Setting, e.Err)
}

// Unwrap returns the cause.
func (e *URLError) Unwrap() error { return e.Err }

// Name is the provider's registry name.
const Name = "e2b"

// Credential names: the API key, and an optional registry login for a private image.
const (
	CredentialVar       = "E2B_API_KEY"
	RegistryUserVar     = "E2B_REGISTRY_USERNAME"
	RegistryPasswordVar = "E2B_REGISTRY_PASSWORD"
)

var credentialNames = []string{CredentialVar, RegistryUserVar, RegistryPasswordVar}

// Defaults used when Config leaves a field empty.
const (
	DefaultDomain       = "e2b.app"
	DefaultPollInterval = 2 * time.Second
	DefaultTimeout      = 15 * time.Minute
	// DefaultStableFor is how long a new sandbox must stay up before it counts as started.
	DefaultStableFor = 3 * time.Second
	// cleanupTimeout bounds rollback work that runs after the caller's context is gone.
	cleanupTimeout = 60 * time.Second
	// logLines is how many log lines a failure report carries.
	logLines = 20
)

// Config configures a Provider. The caller (cmd/*) reads the environment; this package never
// does (see ConfigFromEnv).
type Config struct {
	// APIURL is the API root (E2B_API_URL); empty means https://api.<Domain>.
	APIURL string
	// Domain is the sandboxes' domain (E2B_DOMAIN); empty means DefaultDomain.
	Domain string
	// SandboxURL, when set (E2B_SANDBOX_URL, the SDKs' name), is where envd requests go
	// instead of https://49983-<id>.<domain>: a proxy that routes them by the
	// E2b-Sandbox-Id and E2b-Sandbox-Port headers (a self-hosted cluster, the tests' fake).
	// It must be https, or http to a loopback host: the requests carry envd's access token.
	SandboxURL string
	// APIKey is E2B_API_KEY from the executor. Empty is allowed: a job may carry the key as a
	// credential, and operations without one fail with providers.MissingCredential.
	APIKey string
	// HTTPClient sends the requests; nil means the rest client's default.
	HTTPClient *http.Client
	// Limiters, when set, is the executor's shared per-key rate budget.
	Limiters *rest.Limiters
	// Recorder, when set, records every request (golden tests).
	Recorder *rest.Recorder
	// PollInterval is the wait between build and readiness polls.
	PollInterval time.Duration
	// DefaultTimeout bounds Deploy's and Start's wait when Spec.Options.Timeout is 0.
	DefaultTimeout time.Duration
	// StableFor is how long a new sandbox must stay up before Deploy returns.
	StableFor time.Duration
	// MaxRetries and BackoffBase are passed to the rest client (0: its defaults).
	MaxRetries  int
	BackoffBase time.Duration
}

// Provider is the E2B provider. It is safe for concurrent use on different environments.
type Provider struct {
	cfg Config
}

var (
	_ providers.Provider  = (*Provider)(nil)
	_ providers.Checker   = (*Provider)(nil)
	_ providers.Lister    = (*Provider)(nil)
	_ providers.Connector = (*Provider)(nil)
)

// New returns a Provider for cfg. It never fails for a missing key (operations report it);
// it returns a *URLError for an API or sandbox URL that is not an absolute http(s) URL, or a
// sandbox URL with plain http to a host that is neither loopback nor .internal (the REST kit's
// rule).
func New(cfg Config) (*Provider, error) {
	if cfg.Domain == "" {
		cfg.Domain = DefaultDomain
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api." + cfg.Domain
	}
	if _, err := rest.New(rest.Config{BaseURL: cfg.APIURL, Provider: Name}); err != nil {
		return nil, &URLError{Setting: "api_url", Variable: "E2B_API_URL", URL: cfg.APIURL, Err: err}
	}
	if cfg.SandboxURL != "" {
		// The REST kit's rule: https, or plain http only to this machine (envd's requests carry
		// the sandbox's access token).
		if _, err := rest.New(rest.Config{BaseURL: cfg.SandboxURL, Provider: Name}); err != nil {
			return nil, &URLError{Setting: "sandbox_url", Variable: "E2B_SANDBOX_URL", URL: cfg.SandboxURL, Err: err}
		}
		cfg.SandboxURL = strings.TrimSuffix(cfg.SandboxURL, "/")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = DefaultTimeout
	}
	if cfg.StableFor <= 0 {
		cfg.StableFor = DefaultStableFor
	}
	return &Provider{cfg: cfg}, nil
}

// Name implements providers.Provider.
func (*Provider) Name() string { return Name }

// Capabilities implements providers.Provider.
func (*Provider) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		AutoSuspend:  true,
		StopStart:    true,
		StopMode:     "pause",
		ConnectKinds: []providers.ConnectKind{providers.ConnectExec, providers.ConnectHTTP},
		UsesHandle:   true,
		Credentials:  credentialNames,
	}
}

// Check implements providers.Checker: the API key must be set on the executor (a job may
// still bring its own, so this is advice, not a refusal).
func (p *Provider) Check(context.Context) providers.Readiness {
	if p.cfg.APIKey == "" {
		return providers.Readiness{Problems: []string{CredentialVar}}
	}
	return providers.Readiness{Ready: true, Version: "REST"}
}

// apiFor returns the API client for s's credential: the executor's key, else the job's
// E2B_API_KEY credential. secrets are redacted from its recordings and errors. Errors:
// providers.MissingCredential.
func (p *Provider) apiFor(s *providers.Spec, secrets []string) (*api, error) {
	key := p.cfg.APIKey
	if key == "" {
		key = s.Credential(CredentialVar)
	}
	if key == "" {
		return nil, providers.MissingCredential(Name, CredentialVar)
	}
	var limiter *rest.Limiter
	if p.cfg.Limiters != nil {
		limiter = p.cfg.Limiters.For(Name, key)
	}
	c, err := rest.New(rest.Config{
		BaseURL:          p.cfg.APIURL,
		Provider:         Name,
		Auth:             rest.HeaderAuth("X-API-Key", key),
		RequestIDHeaders: []string{"X-Request-Id", "Cf-Ray"},
		Decode:           decodeError,
		HTTPClient:       p.cfg.HTTPClient,
		Secrets:          append([]string{key}, secrets...),
		Limiter:          limiter,
		Recorder:         p.cfg.Recorder,
		MaxRetries:       p.cfg.MaxRetries,
		BackoffBase:      p.cfg.BackoffBase,
	})
	if err != nil {
		return nil, err
	}
	return &api{c: c}, nil
}
