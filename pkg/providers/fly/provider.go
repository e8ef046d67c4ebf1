// Package fly is the Fly.io provider: it runs one Sindri environment as one Fly Machine in an
// app of its own, talking to the Machines REST API (no flyctl, no GraphQL). It renders the
// equivalent fly.toml as an inspectable artifact only.
//
// For an environment it makes, in this order: the app (named by AppName: the env, shortened,
// plus a hash of the repository and env, because Fly app names are global), the app secrets
// (Spec.Secrets, never in the machine's env or config), an IPv6 address, the home volume
// home_data in the region, and the machine, which mounts the volume by id and carries the
// environment's labels as metadata (sindri_env, sindri_managed_by, sindri_labels). Deploy
// waits until the machine is started, and fails within seconds, with its exit codes, when the
// machine keeps exiting. Destroy removes machines, then volumes once unbound, then the app,
// and returns once the app is gone. Everything is found again from the env name, its labels
// and the handle (app, org, machine and volume ids); no verb needs the config but Plan and
// Deploy.
package fly

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// Name is the provider's registry name.
const Name = "fly"

// Defaults used when Config leaves a field empty.
const (
	DefaultAPIURL   = "https://api.machines.dev/v1"
	DefaultTokenVar = "FLY_API_TOKEN"
	DefaultOrg      = "personal"
	DefaultTimeout  = 10 * time.Minute
	// DefaultAppVisible bounds the wait for a new app to show (it may 404 or 401 meanwhile;
	// flyctl waits a minute, fly.md §1.7).
	DefaultAppVisible = time.Minute
	// DefaultVolumeUnbind bounds the retries of a volume delete while Fly still holds the
	// volume bound to its destroyed machine (up to about a minute, fly.md §4).
	DefaultVolumeUnbind = 90 * time.Second
	// DefaultAppGone bounds the wait for a deleted app to 404.
	DefaultAppGone = 2 * time.Minute
	// DefaultPollInterval is the pause between observations while waiting.
	DefaultPollInterval = time.Second
	// DefaultCrashExits is how many unrequested exits of a new machine version make Deploy
	// fail at once instead of waiting for its timeout.
	DefaultCrashExits = 2
	// cleanupTimeout bounds rollback work that runs after the caller's context is gone.
	cleanupTimeout = 2 * time.Minute
)

// Config configures a Provider. The caller (cmd/*, through pkg/providers/builtin) reads the
// token and settings; this package never reads the environment.
type Config struct {
	// APIURL is the Machines API root, /v1 included (default DefaultAPIURL).
	APIURL string
	// Token is the executor's Fly API token (FLY_API_TOKEN); empty means none, and a job's
	// sealed FLY_API_TOKEN credential is used instead.
	Token string
	// TokenVar names the variable the token comes from, for the missing-credential error.
	TokenVar string
	// Org is the Fly organization slug for environments whose config names none and for List
	// (default DefaultOrg).
	Org string
	// AppPrefix is put in front of every app name (see AppName), for executors that share a
	// Fly organization or want their own corner of the global name space.
	AppPrefix string
	// HTTPClient sends the requests (tests pass the fake's); nil means the rest default.
	HTTPClient *http.Client
	// Limiters is the executor's per-token rate-limit registry; nil means one of the
	// provider's own.
	Limiters *rest.Limiters
	// Recorder, when set, records every request sent (golden tests).
	Recorder *rest.Recorder
	// Timeout bounds Deploy's and Start's wait for a started machine when
	// Spec.Options.Timeout is 0 (default DefaultTimeout).
	Timeout time.Duration
	// AppVisible, VolumeUnbind, AppGone and PollInterval tune the waits (defaults above;
	// tests against the fake shorten them).
	AppVisible, VolumeUnbind, AppGone, PollInterval time.Duration
	// CrashExits: see DefaultCrashExits.
	CrashExits int
	// MaxRetries and BackoffBase are passed to the REST client (0: its defaults).
	MaxRetries  int
	BackoffBase time.Duration
}

// Provider is the Fly.io provider. It is safe for concurrent use on different environments.
type Provider struct {
	cfg Config

	mu      sync.Mutex
	clients map[string]*api // by token
}

var (
	_ providers.Provider = (*Provider)(nil)
	_ providers.Checker  = (*Provider)(nil)
)

// New returns a Provider for cfg. It contacts nothing and never fails for a missing token (the
// first operation reports providers.MissingCredential). It returns an error wrapping
// providers.ErrInvalidSpec when APIURL is not an absolute http(s) URL or AppPrefix is not a
// valid name part.
func New(cfg Config) (*Provider, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fly: API URL %q: %w: want an absolute http(s) URL such as %s", cfg.APIURL, providers.ErrInvalidSpec, DefaultAPIURL)
	}
	if err := validPrefix(cfg.AppPrefix); err != nil {
		return nil, fmt.Errorf("fly: %w: %w", providers.ErrInvalidSpec, err)
	}
	if cfg.TokenVar == "" {
		cfg.TokenVar = DefaultTokenVar
	}
	if cfg.Org == "" {
		cfg.Org = DefaultOrg
	}
	if cfg.Limiters == nil {
		cfg.Limiters = rest.NewLimiters(0)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.AppVisible, DefaultAppVisible)
	def(&cfg.VolumeUnbind, DefaultVolumeUnbind)
	def(&cfg.AppGone, DefaultAppGone)
	def(&cfg.PollInterval, DefaultPollInterval)
	if cfg.CrashExits <= 0 {
		cfg.CrashExits = DefaultCrashExits
	}
	return &Provider{cfg: cfg, clients: map[string]*api{}}, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Capabilities implements providers.Provider. Stop suspends where Fly allows it (no swap, at
// most 2 GB: the machine's autostop is "suspend") and stops otherwise.
func (p *Provider) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		AutoSuspend:  true,
		StopStart:    true,
		ConnectKinds: []providers.ConnectKind{providers.ConnectSSH, providers.ConnectExec},
		StopMode:     "suspend",
		UsesHandle:   true,
		Credentials:  []string{DefaultTokenVar},
	}
}

// Check implements providers.Checker: ready when a token is set on the executor. It contacts
// nothing.
func (p *Provider) Check(context.Context) providers.Readiness {
	if p.cfg.Token == "" {
		return providers.Readiness{Problems: []string{p.cfg.TokenVar}}
	}
	return providers.Readiness{Ready: true, Version: "machines-api-v1"}
}

// token returns the token for s: the executor's, else the job's FLY_API_TOKEN credential.
func (p *Provider) token(s *providers.Spec) string {
	if p.cfg.Token != "" {
		return p.cfg.Token
	}
	for _, c := range s.Credentials {
		if c.Name == DefaultTokenVar && c.Value != nil && c.MountPath == "" {
			return c.Value.Reveal()
		}
	}
	return ""
}

// client returns the API client for s's token. Errors: providers.MissingCredential.
func (p *Provider) client(s *providers.Spec) (*api, error) {
	tok := p.token(s)
	if tok == "" {
		return nil, providers.MissingCredential(Name, p.cfg.TokenVar)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.clients[tok]; ok {
		return a, nil
	}
	rc := rest.Config{
		BaseURL:          p.cfg.APIURL,
		Provider:         Name,
		Auth:             rest.HeaderAuth("Authorization", authHeader(tok)),
		RequestIDHeaders: []string{requestIDHeader},
		Decode:           decodeError,
		HTTPClient:       p.cfg.HTTPClient,
		Secrets:          []string{tok},
		Limiter:          p.cfg.Limiters.For(Name, tok),
		Recorder:         p.cfg.Recorder,
		MaxRetries:       p.cfg.MaxRetries,
		BackoffBase:      p.cfg.BackoffBase,
	}
	c, err := rest.New(rc)
	if err != nil {
		return nil, fmt.Errorf("fly: %w", err)
	}
	// A /wait blocks up to 60 s by design, and is never retried by the client.
	rc.MaxRetries, rc.Timeout = -1, maxWait+30*time.Second
	w, err := rest.New(rc)
	if err != nil {
		return nil, fmt.Errorf("fly: %w", err)
	}
	a := &api{c: c, w: w}
	p.clients[tok] = a
	return a, nil
}

func (p *Provider) timeoutFor(s *providers.Spec) time.Duration {
	if s.Options.Timeout > 0 {
		return s.Options.Timeout
	}
	return p.cfg.Timeout
}

// specEnv checks the parts of s every verb relies on. Errors wrap providers.ErrInvalidSpec.
func specEnv(s *providers.Spec) error {
	if s == nil || s.Env == "" || len(s.Env) > 63 || !validName(s.Env) {
		env := ""
		if s != nil {
			env = s.Env
		}
		return fmt.Errorf("fly: environment name %q: %w: 1 to 63 lowercase letters, digits and inner dashes", env, providers.ErrInvalidSpec)
	}
	return nil
}
