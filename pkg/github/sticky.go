package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/sindri/deploy/v3/pkg/cost"
)

// Sticky is what an environment's sticky comment records in its hidden marker, so that a run
// which remembers nothing (the embedded bus on a fresh runner) learns it from the one comment
// listing it needs anyway: the environment's GitHub Deployment and whether its PR was closed.
type Sticky struct {
	Env string
	// DeploymentID is the environment's GitHub Deployment; 0 when unknown (a marker written
	// before ids were recorded, or deployment: false).
	DeploymentID int64
	// Closed is set by the destroy that ran because the PR closed and cleared by a reopen: a
	// later deploy that does not reopen is skipped ("close wins").
	Closed bool
	// Provider is the provider the environment was deployed with, cleared once it is
	// destroyed; "" when unknown (a marker written before providers were recorded).
	Provider string
	// Usage is the environment's running and stopped time and rates (docs/cost.md), so the
	// cost so far survives a bus that forgot the record; nil when unknown.
	Usage *cost.Usage
}

const (
	markerOpen  = "<!-- sindri:"
	markerClose = " -->"
)

// Marker returns s's hidden marker line, `<!-- sindri:env=<env> deployment=<id>
// closed=<0|1> provider=<name> -->` (provider only when known). It returns ErrBadEnv for an
// environment or provider name that would break out of the HTML comment or the marker's
// space-separated fields.
func Marker(s Sticky) (string, error) {
	if s.Env == "" || strings.ContainsAny(s.Env, markerUnsafe) || s.DeploymentID < 0 {
		return "", fmt.Errorf("%w: %q", ErrBadEnv, s.Env)
	}
	if strings.ContainsAny(s.Provider, markerUnsafe) {
		return "", fmt.Errorf("%w: provider %q", ErrBadEnv, s.Provider)
	}
	closed := "0"
	if s.Closed {
		closed = "1"
	}
	m := markerOpen + "env=" + s.Env + " deployment=" + strconv.FormatInt(s.DeploymentID, 10) +
		" closed=" + closed
	if s.Provider != "" {
		m += " provider=" + s.Provider
	}
	if s.Usage != nil {
		m += " cost=" + s.Usage.MarkerValue()
	}
	return m + markerClose, nil
}

// markerUnsafe are the characters a marker field value may not hold.
const markerUnsafe = "<>!= \t\r\n"

// ParseMarker reads the marker on the first line of a comment body. It accepts the current
// form and the earlier `<!-- sindri:env=<env> -->` (no deployment id, not closed); unknown
// fields are ignored so that a newer writer's markers stay readable. ok is false when the
// body carries no well-formed marker.
func ParseMarker(body string) (s Sticky, ok bool) {
	line, _, _ := strings.Cut(body, "\n")
	line = strings.TrimSuffix(line, "\r")
	inner, found := strings.CutPrefix(line, markerOpen)
	if !found {
		return Sticky{}, false
	}
	if inner, found = strings.CutSuffix(inner, markerClose); !found {
		return Sticky{}, false
	}
	for _, f := range strings.Fields(inner) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "env":
			s.Env = v
		case "deployment":
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 0 {
				return Sticky{}, false
			}
			s.DeploymentID = id
		case "provider":
			s.Provider = v
		case "cost":
			// A cost value this version cannot read is ignored, never fatal.
			if u, ok := cost.ParseMarkerValue(v); ok {
				s.Usage = &u
			}
		case "closed":
			switch v {
			case "0":
				s.Closed = false
			case "1":
				s.Closed = true
			default:
				return Sticky{}, false
			}
		}
	}
	if _, err := Marker(Sticky{Env: s.Env, Provider: s.Provider}); err != nil {
		return Sticky{}, false
	}
	return s, true
}

// StickyComment is a sticky comment found on a pull request.
type StickyComment struct {
	ID int64
	// ByBot is set when a bot wrote it (the usual author: github-actions[bot] or an App).
	ByBot bool
	Sticky
}

// FindSticky looks through every page of pull request pr's comments (one request per 100
// comments) for env's sticky comment and returns the oldest trusted one, preferring one a bot
// wrote (a collaborator's copy of the marker is not editable by the action's token); ok is
// false when there is none. Only comments by a bot or by the repository's owners, members and
// collaborators are trusted: anyone may comment on a public PR, and a forged marker must not
// close an environment or redirect its deployment statuses. Errors are *APIError or ErrBadEnv.
func (c *Client) FindSticky(ctx context.Context, owner, repo string, pr int, env string) (StickyComment, bool, error) {
	if _, err := Marker(Sticky{Env: env}); err != nil {
		return StickyComment{}, false, err
	}
	found, err := c.findComments(ctx, owner, repo, pr, env, 0)
	if err != nil || len(found) == 0 {
		return StickyComment{}, false, err
	}
	for _, f := range found {
		if f.ByBot {
			return f, true, nil
		}
	}
	return found[0], true, nil
}

// UpsertComment makes t's sticky comment say body, behind a marker carrying t.Env,
// t.DeploymentID, t.Closed and t.Provider, and returns its id. With a known t.CommentID it edits that
// comment in one request; when the id is 0 and t.Searched says the PR's comments were already
// searched, it creates one at once; otherwise (or when the known comment was deleted or is not
// editable) it searches every page of the PR's comments for the marker and edits the one it
// finds, or creates one. A create whose response was lost is looked up again before it is
// repeated, so one environment never gets two comments. body passes through the redactor.
// Errors are *APIError or ErrBadEnv.
func (c *Client) UpsertComment(ctx context.Context, t *Target, body string) (int64, error) {
	marker, err := Marker(Sticky{Env: t.Env, DeploymentID: t.DeploymentID, Closed: t.Closed, Provider: t.Provider, Usage: t.Usage})
	if err != nil {
		return 0, err
	}
	owner, repo, pr, id := t.Owner, t.Repo, t.PR, t.CommentID
	full := marker + "\n" + c.redact(body)
	search := !t.Searched
	if id != 0 {
		err := c.editComment(ctx, owner, repo, id, full)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnauthorized) {
			return 0, err
		}
		search = true
	}
	if search {
		found, err := c.findComments(ctx, owner, repo, pr, t.Env, id)
		if err != nil {
			return 0, err
		}
		for _, f := range found {
			// A comment the token may not edit is not ours after all: try the next one.
			if err := c.editComment(ctx, owner, repo, f.ID, full); !errors.Is(err, ErrUnauthorized) {
				return f.ID, err
			}
		}
	}
	cm, resp, err := c.api.Issues.CreateComment(ctx, owner, repo, pr, &gh.IssueComment{Body: &full})
	if err == nil {
		return c.dedupeComment(ctx, t, cm.GetID(), full), nil
	}
	err = wrap(fmt.Sprintf("create comment on #%d", pr), resp, err)
	if !maybeApplied(err) {
		return 0, err
	}
	// The create may have happened: look before creating again.
	if found, ferr := c.findComments(ctx, owner, repo, pr, t.Env, id); ferr == nil && len(found) > 0 {
		return found[len(found)-1].ID, nil
	}
	cm, resp, err = c.api.Issues.CreateComment(ctx, owner, repo, pr, &gh.IssueComment{Body: &full})
	if err != nil {
		return 0, wrap(fmt.Sprintf("create comment on #%d", pr), resp, err)
	}
	return c.dedupeComment(ctx, t, cm.GetID(), full), nil
}

// dedupeComment runs after this client created comment id for t.Env: two overlapping runs that
// both found no sticky comment each create one. It lists the PR's comments again and, when an
// older one for the environment exists that the token may edit, makes that one say body,
// deletes id and returns the older id: every run converges on the oldest comment. Errors keep
// id (a later run's search finds the oldest).
func (c *Client) dedupeComment(ctx context.Context, t *Target, id int64, body string) int64 {
	found, err := c.findComments(ctx, t.Owner, t.Repo, t.PR, t.Env, id)
	if err != nil {
		return id
	}
	for _, f := range found {
		if f.ID > id {
			break
		}
		err := c.editComment(ctx, t.Owner, t.Repo, f.ID, body)
		if errors.Is(err, ErrUnauthorized) {
			continue // not ours to edit
		}
		if err != nil {
			return id
		}
		// Should the delete fail, the older comment says the same and is the one every later
		// search picks; the duplicate stays until someone deletes it.
		_, _ = c.api.Issues.DeleteComment(ctx, t.Owner, t.Repo, id)
		return f.ID
	}
	return id
}

func (c *Client) editComment(ctx context.Context, owner, repo string, id int64, body string) error {
	_, resp, err := c.api.Issues.EditComment(ctx, owner, repo, id, &gh.IssueComment{Body: &body})
	return wrap(fmt.Sprintf("edit comment %d", id), resp, err)
}

// trustedAssociations are the author associations whose markers are believed (besides bots).
var trustedAssociations = map[string]bool{"OWNER": true, "MEMBER": true, "COLLABORATOR": true}

// findComments returns the trusted comments on pr whose marker names env, oldest first,
// skipping the id known to be unusable. Each page is read conditionally: a page this client
// (or a run whose validators it loaded) read before costs a 304 when it did not change.
func (c *Client) findComments(ctx context.Context, owner, repo string, pr int, env string, skip int64) ([]StickyComment, error) {
	var out []StickyComment
	for page := 1; ; {
		u := fmt.Sprintf("repos/%s/%s/issues/%d/comments?per_page=100", url.PathEscape(owner), url.PathEscape(repo), pr)
		if page > 1 {
			u += "&page=" + strconv.Itoa(page)
		}
		q := conditional{op: fmt.Sprintf("list comments of #%d", pr), u: u, key: u + " env=" + env, keep: true}
		p, err := getConditional(ctx, c, q, func(list []*gh.IssueComment, resp *gh.Response) commentsPage {
			return stickyPage(list, resp, env)
		})
		if err != nil {
			return nil, err
		}
		for _, f := range p.Found {
			s, ok := ParseMarker(f.Marker)
			if !ok || f.ID == skip {
				continue
			}
			out = append(out, StickyComment{ID: f.ID, ByBot: f.Bot, Sticky: s})
		}
		if p.Next == 0 {
			return out, nil
		}
		page = p.Next
	}
}

// commentsPage is what one page of a pull request's comments says about one environment: its
// trusted sticky comments and the next page (0 on the last).
type commentsPage struct {
	Found []foundComment `json:"found,omitempty"`
	Next  int            `json:"next,omitempty"`
}

// foundComment is a trusted comment whose marker names the environment searched for.
type foundComment struct {
	ID     int64  `json:"id"`
	Bot    bool   `json:"bot,omitempty"`
	Marker string `json:"marker"`
}

// stickyPage picks env's trusted sticky comments out of one page of comments.
func stickyPage(list []*gh.IssueComment, resp *gh.Response, env string) commentsPage {
	p := commentsPage{Next: resp.NextPage}
	for _, cm := range list {
		s, ok := ParseMarker(cm.GetBody())
		if !ok || s.Env != env {
			continue
		}
		bot := cm.GetUser().GetType() == "Bot"
		if !bot && !trustedAssociations[cm.GetAuthorAssociation()] {
			continue
		}
		line, _, _ := strings.Cut(cm.GetBody(), "\n")
		p.Found = append(p.Found, foundComment{ID: cm.GetID(), Bot: bot, Marker: line})
	}
	return p
}
