package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/sindri/deploy/v3/internal/ctxwait"
)

// Client talks to one GitHub API endpoint with one token. It is safe for concurrent use.
type Client struct {
	api        *gh.Client
	redact     func(string) string
	validators *Validators
}

// Option configures New.
type Option func(*options)

type options struct {
	baseURL    string
	base       http.RoundTripper
	maxRetries int
	maxWait    time.Duration
	wait       func(context.Context, time.Duration) error
	redact     func(string) string
	progress   func(string)
}

// WithBaseURL points the client at a GitHub Enterprise Server or a fake ("https://host/api/v3/"
// or an httptest URL). The default is https://api.github.com/.
func WithBaseURL(u string) Option { return func(o *options) { o.baseURL = u } }

// WithTransport sets the HTTP transport under the retrying layer (default http.DefaultTransport).
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.base = rt } }

// WithRetries bounds retries after failures (5xx, lost connections) per request (default 4)
// and the longest single wait the client accepts, for those and for rate limits, before giving
// up with ErrRateLimited (default 2 minutes; the action passes the job's timeout, so that a
// rate limit is waited out rather than failed). A wait that would end after the context's
// deadline is not made either.
func WithRetries(maxRetries int, maxWait time.Duration) Option {
	return func(o *options) { o.maxRetries, o.maxWait = maxRetries, maxWait }
}

// WithWait replaces the ctx-aware timer used between retries; tests use it to record the waits
// GitHub asked for without sleeping.
func WithWait(f func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.wait = f }
}

// WithProgress sets where the client announces each rate-limit wait before making it (one
// line: which limit, which request, how long), e.g. the workflow log. The line names the
// request's method and path, never a header or body.
func WithProgress(f func(line string)) Option { return func(o *options) { o.progress = f } }

// WithRedactor sets a function every comment body and deployment description passes through
// before it is sent, as a last line of defence against leaking secrets.
func WithRedactor(f func(string) string) Option { return func(o *options) { o.redact = f } }

// ErrNoToken is returned by New without a token.
var ErrNoToken = errors.New("github: no token (set the github-token input)")

// New returns a Client authenticating with token. It returns ErrNoToken for an empty token and
// an error for an unusable base URL.
func New(token string, opts ...Option) (*Client, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	o := options{base: http.DefaultTransport, maxRetries: 4, maxWait: 2 * time.Minute, wait: ctxwait.Sleep,
		redact: func(s string) string { return s }}
	for _, f := range opts {
		f(&o)
	}
	rt := &retryTransport{base: o.base, maxRetries: o.maxRetries, maxWait: o.maxWait, wait: o.wait, now: time.Now, progress: o.progress}
	api := gh.NewClient(&http.Client{Transport: rt}).WithAuthToken(token)
	if o.baseURL != "" {
		u := o.baseURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		base, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("github: base url: %w", err)
		}
		api.BaseURL = base
	}
	return &Client{api: api, redact: o.redact, validators: newValidators()}, nil
}

// PullRequest is what sindri needs to know about a pull request.
type PullRequest struct {
	Number   int
	State    string // open or closed
	Draft    bool
	HeadSHA  string
	HeadRef  string
	HeadRepo string // owner/name of the head repository; empty when the fork was deleted
	BaseRepo string
}

// IsFork reports whether the head lives in another repository (or a deleted one).
func (p PullRequest) IsFork() bool {
	return p.HeadRepo == "" || !strings.EqualFold(p.HeadRepo, p.BaseRepo)
}

// PullRequest reads pull request number of owner/repo, conditionally when this client read it
// before. Errors are *APIError (ErrNotFound when it does not exist).
func (c *Client) PullRequest(ctx context.Context, owner, repo string, number int) (PullRequest, error) {
	u := fmt.Sprintf("repos/%s/%s/pulls/%d", url.PathEscape(owner), url.PathEscape(repo), number)
	return getConditional(ctx, c, conditional{op: fmt.Sprintf("get pull request #%d", number), u: u, key: u},
		func(pr *gh.PullRequest, _ *gh.Response) PullRequest {
			return PullRequest{Number: pr.GetNumber(), State: pr.GetState(), Draft: pr.GetDraft(),
				HeadSHA: pr.GetHead().GetSHA(), HeadRef: pr.GetHead().GetRef(),
				HeadRepo: pr.GetHead().GetRepo().GetFullName(), BaseRepo: pr.GetBase().GetRepo().GetFullName()}
		})
}

// permissionBody is the part of a collaborator permission answer sindri reads.
type permissionBody struct {
	Permission string `json:"permission"`
	RoleName   string `json:"role_name"`
}

// Permission returns user's permission on owner/repo, from GET
// /repos/{owner}/{repo}/collaborators/{user}/permission (conditionally when this client read
// it before). The fine-grained role_name (triage, maintain) is preferred to the legacy
// permission field; custom roles fall back to the latter. A user GitHub does not know comes
// back as PermNone with an error wrapping ErrNotFound.
func (c *Client) Permission(ctx context.Context, owner, repo, user string) (Permission, error) {
	u := fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", url.PathEscape(owner), url.PathEscape(repo), url.PathEscape(user))
	body, err := getConditional(ctx, c, conditional{op: "permission of " + user, u: u, key: u},
		func(b permissionBody, _ *gh.Response) permissionBody { return b })
	if err != nil {
		return PermNone, err
	}
	if p, err := ParsePermission(body.RoleName); err == nil {
		return p, nil
	}
	p, err := ParsePermission(body.Permission)
	if err != nil {
		return PermNone, fmt.Errorf("github: permission of %s: %w", user, err)
	}
	return p, nil
}

// Reaction is a reaction's content as GitHub names it.
type Reaction string

// Reactions sindri uses.
const (
	ReactionEyes     Reaction = "eyes"
	ReactionRocket   Reaction = "rocket"
	ReactionMinusOne Reaction = "-1"
	ReactionConfused Reaction = "confused"
	// ReactionReceived acknowledges a ChatOps comment as soon as it is read.
	ReactionReceived = ReactionEyes
)

// React adds reaction r to issue comment commentID. GitHub answers a repeated reaction with
// the existing one, so retrying is harmless. Errors are *APIError.
func (c *Client) React(ctx context.Context, owner, repo string, commentID int64, r Reaction) error {
	_, resp, err := c.api.Reactions.CreateIssueCommentReaction(ctx, owner, repo, commentID, string(r))
	return wrap(fmt.Sprintf("react %s to comment %d", r, commentID), resp, err)
}

// Reply posts a plain (non-sticky) comment on pull request or issue number, e.g. the answer
// to a ChatOps command. body passes through the redactor. Errors are *APIError.
func (c *Client) Reply(ctx context.Context, owner, repo string, number int, body string) (int64, error) {
	b := c.redact(body)
	cm, resp, err := c.api.Issues.CreateComment(ctx, owner, repo, number, &gh.IssueComment{Body: &b})
	if err != nil {
		return 0, wrap(fmt.Sprintf("comment on #%d", number), resp, err)
	}
	return cm.GetID(), nil
}
