// Package cloudrest is what the vm provider's cloud clients share: the settings of their
// rest clients (Options, embedded by every client's Config) and the cache of the OAuth2 access tokens they get from
// their token endpoints (Source) (gce, azure); an HTTP client that signs each request just
// before it is sent (oci, alicloud); and the "already gone" rule of deletes (IgnoreNotFound).
package cloudrest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// Options are a cloud client's transport settings.
type Options struct {
	// Provider names the platform in errors.
	Provider string
	// HTTPClient, Timeout (per attempt; 0: 30s), MaxRetries, BackoffBase, Jitter and
	// Recorder are the rest clients'. The signing clients (ec2, oci, alicloud) send through
	// HTTPClient's transport; MaxRetries and BackoffBase also bound alicloud's own retries of
	// throttled answers.
	HTTPClient  *http.Client
	Timeout     time.Duration
	MaxRetries  int
	BackoffBase time.Duration
	Jitter      func(time.Duration) time.Duration
	Recorder    *rest.Recorder
	// PollInterval is how often a long-running operation is read (0: 2s).
	PollInterval time.Duration
	// Now is the signing clock of the signing clients; nil means time.Now.
	Now func() time.Time
}

// Clock is Now or time.Now.
func (o Options) Clock() func() time.Time {
	if o.Now == nil {
		return time.Now
	}
	return o.Now
}

// Poll is PollInterval or its default.
func (o Options) Poll() time.Duration {
	if o.PollInterval <= 0 {
		return 2 * time.Second
	}
	return o.PollInterval
}

// Rest is the rest.Config of base with o's settings and auth; the caller adds the rest.
func (o Options) Rest(base string, auth func(*http.Request) error, secrets ...string) rest.Config {
	attempt := o.Timeout
	if attempt <= 0 {
		attempt = 30 * time.Second
	}
	return rest.Config{BaseURL: base, Provider: o.Provider, Auth: auth, HTTPClient: o.HTTPClient, Timeout: o.Timeout,
		AttemptTimeout: attempt, MaxRetries: o.MaxRetries, BackoffBase: o.BackoffBase, Jitter: o.Jitter,
		Recorder: o.Recorder, Secrets: secrets}
}

// Signed is Rest for a client whose requests sign sends through SigningClient (o's
// HTTPClient's transport beneath), with no auth hook.
func (o Options) Signed(base string, sign func(*http.Request) error, secrets ...string) rest.Config {
	c := o.Rest(base, nil, secrets...)
	c.HTTPClient = SigningClient(o.HTTPClient, sign)
	return c
}

// Source gets a token with Request (built afresh for each fetch: a signed assertion
// expires) through RC, and keeps it until a minute before it expires. It is safe for
// concurrent use.
type Source struct {
	RC      *rest.Client
	Request func(now time.Time) (rest.Request, error)

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Token returns a valid access token. An answer of 400 or 401 (a credential refused) is an
// error matching providers.ErrAuth.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.token != "" && now.Before(s.expires) {
		return s.token, nil
	}
	req, err := s.Request(now)
	if err != nil {
		return "", err
	}
	var resp struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := s.RC.Do(ctx, req, &resp); err != nil {
		var ae *providers.APIError
		if errors.As(err, &ae) && (ae.Status == 400 || ae.Status == 401) {
			return "", fmt.Errorf("%w: %w", err, providers.ErrAuth)
		}
		return "", err
	}
	if resp.AccessToken == "" {
		return "", fmt.Errorf("the token endpoint answered no access_token: %w", providers.ErrAuth)
	}
	s.token, s.expires = resp.AccessToken, now.Add(time.Duration(resp.ExpiresIn)*time.Second-time.Minute)
	return s.token, nil
}

// Bearer is a rest.Config Auth that sets s's token on each request.
func (s *Source) Bearer(r *http.Request) error {
	tok, err := s.Token(r.Context())
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}
