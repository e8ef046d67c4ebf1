package github

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	gh "github.com/google/go-github/v60/github"
)

// DeploymentState is a GitHub deployment status state.
type DeploymentState string

// Deployment states sindri writes.
const (
	StateInProgress DeploymentState = "in_progress"
	StateSuccess    DeploymentState = "success"
	StateFailure    DeploymentState = "failure"
	StateInactive   DeploymentState = "inactive"
)

// String implements fmt.Stringer.
func (s DeploymentState) String() string { return string(s) }

// EnsureDeployment returns the id of env's GitHub Deployment: id itself when non-zero (kept in
// the env record), else the newest deployment for that environment, else — when create is
// true — a new one for ref: transient, not production, no auto-merge, no required contexts.
// It returns 0 and no error when none exists and create is false. A create whose response was
// lost is looked up before it is repeated. Errors are *APIError.
func (c *Client) EnsureDeployment(ctx context.Context, owner, repo, env, ref string, id int64, create bool) (int64, error) {
	if id != 0 {
		return id, nil
	}
	found, err := c.findDeployment(ctx, owner, repo, env)
	if err != nil || found != 0 || !create {
		return found, err
	}
	return c.createDeployment(ctx, owner, repo, env, ref)
}

// createDeployment creates env's Deployment for ref without looking for one first, then
// lists env's Deployments once and converges on the oldest (dedupeDeployment). A create whose
// response was lost is looked up before it is repeated. Errors are *APIError.
func (c *Client) createDeployment(ctx context.Context, owner, repo, env, ref string) (int64, error) {
	req := &gh.DeploymentRequest{
		Ref:                   gh.String(ref),
		Environment:           gh.String(env),
		Description:           gh.String(c.redact("sindri preview environment " + env)),
		TransientEnvironment:  gh.Bool(true),
		ProductionEnvironment: gh.Bool(false),
		AutoMerge:             gh.Bool(false),
		RequiredContexts:      &[]string{},
	}
	d, resp, err := c.api.Repositories.CreateDeployment(ctx, owner, repo, req)
	if err == nil {
		return c.dedupeDeployment(ctx, owner, repo, env, d.GetID()), nil
	}
	err = wrap("create deployment "+env, resp, err)
	if !maybeApplied(err) {
		return 0, err
	}
	if found, ferr := c.findDeployment(ctx, owner, repo, env); ferr == nil && found != 0 {
		return found, nil
	}
	d, resp, err = c.api.Repositories.CreateDeployment(ctx, owner, repo, req)
	if err != nil {
		return 0, wrap("create deployment "+env, resp, err)
	}
	return c.dedupeDeployment(ctx, owner, repo, env, d.GetID()), nil
}

// dedupeDeployment runs after this client created deployment id for env: two overlapping runs
// that both found none each create one. It lists env's deployments again and, when an older
// one exists, marks id inactive, deletes it and returns the oldest: every run converges on the
// oldest Deployment. Errors keep id.
func (c *Client) dedupeDeployment(ctx context.Context, owner, repo, env string, id int64) int64 {
	oldest := id
	for page := 1; ; {
		u := deploymentsURL(owner, repo, env, 100, page)
		p, err := getConditional(ctx, c, conditional{op: "list deployments of " + env, u: u, key: u},
			func(list []*gh.Deployment, resp *gh.Response) idsPage {
				out := idsPage{Next: resp.NextPage}
				for _, d := range list {
					out.IDs = append(out.IDs, d.GetID())
				}
				return out
			})
		if err != nil {
			return id
		}
		for _, d := range p.IDs {
			oldest = min(oldest, d)
		}
		if p.Next == 0 {
			break
		}
		page = p.Next
	}
	if oldest == id {
		return id
	}
	// GitHub deletes only an inactive deployment (unless it is the only one).
	if err := c.SetDeploymentStatus(ctx, owner, repo, id, DeploymentStatus{State: StateInactive,
		Description: "duplicate of deployment " + strconv.FormatInt(oldest, 10)}); err == nil {
		_, _ = c.api.Repositories.DeleteDeployment(ctx, owner, repo, id)
	}
	return oldest
}

// idsPage is one page of a listing reduced to its ids, and the next page (0 on the last).
type idsPage struct {
	IDs  []int64 `json:"ids,omitempty"`
	Next int     `json:"next,omitempty"`
}

// deploymentsURL lists env's Deployments, newest first.
func deploymentsURL(owner, repo, env string, perPage, page int) string {
	q := url.Values{"environment": {env}, "per_page": {strconv.Itoa(perPage)}}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return fmt.Sprintf("repos/%s/%s/deployments?%s", url.PathEscape(owner), url.PathEscape(repo), q.Encode())
}

// findDeployment returns env's newest Deployment (0: none), read conditionally: a listing read
// before costs a 304 when no Deployment was added or removed.
func (c *Client) findDeployment(ctx context.Context, owner, repo, env string) (int64, error) {
	u := deploymentsURL(owner, repo, env, 1, 1)
	return getConditional(ctx, c, conditional{op: "list deployments of " + env, u: u, key: u, keep: true},
		func(list []*gh.Deployment, _ *gh.Response) int64 {
			if len(list) == 0 {
				return 0
			}
			return list[0].GetID()
		})
}

// DeploymentStatus describes one status to add.
type DeploymentStatus struct {
	State          DeploymentState
	EnvironmentURL string // shown as "View deployment"; success only
	LogURL         string // the workflow run
	Description    string // at most 140 characters are kept
}

// SetDeploymentStatus adds a status to deployment id. Errors are *APIError.
func (c *Client) SetDeploymentStatus(ctx context.Context, owner, repo string, id int64, s DeploymentStatus) error {
	req := &gh.DeploymentStatusRequest{State: gh.String(string(s.State))}
	if s.LogURL != "" {
		req.LogURL = gh.String(s.LogURL)
	}
	if s.EnvironmentURL != "" {
		req.EnvironmentURL = gh.String(c.redact(s.EnvironmentURL))
	}
	if s.Description != "" {
		d := []rune(c.redact(s.Description))
		if len(d) > 140 {
			d = append(d[:139], '…')
		}
		req.Description = gh.String(string(d))
	}
	_, resp, err := c.api.Repositories.CreateDeploymentStatus(ctx, owner, repo, id, req)
	return wrap(fmt.Sprintf("deployment %d status %s", id, s.State), resp, err)
}
