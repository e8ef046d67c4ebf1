package github

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// Marker returns the hidden HTML comment that identifies env's sticky comment. It returns
// ErrBadEnv for a name that would break out of the HTML comment.
func Marker(env string) (string, error) {
	if env == "" || strings.ContainsAny(env, "<>!\r\n") {
		return "", fmt.Errorf("%w: %q", ErrBadEnv, env)
	}
	return "<!-- sindri:env=" + env + " -->", nil
}

// UpsertComment makes the sticky comment of env on pull request pr say body, and returns its
// id. With a known id (the one stored in the env record) it edits that comment in one request;
// when the id is 0, or that comment was deleted or is not editable, it looks for the marker
// through every page of the PR's comments and edits the one it finds, or creates one. A
// create whose response was lost is looked up again before it is repeated, so one environment
// never gets two comments. body passes through the redactor. Errors are *APIError or
// ErrBadEnv.
func (c *Client) UpsertComment(ctx context.Context, owner, repo string, pr int, env string, id int64, body string) (int64, error) {
	marker, err := Marker(env)
	if err != nil {
		return 0, err
	}
	full := marker + "\n" + c.redact(body)
	if id != 0 {
		err := c.editComment(ctx, owner, repo, id, full)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnauthorized) {
			return 0, err
		}
	}
	found, err := c.findComments(ctx, owner, repo, pr, marker, id)
	if err != nil {
		return 0, err
	}
	for _, fid := range found {
		// A comment someone else wrote with our marker is not editable: try the next one.
		if err := c.editComment(ctx, owner, repo, fid, full); !errors.Is(err, ErrUnauthorized) {
			return fid, err
		}
	}
	cm, resp, err := c.api.Issues.CreateComment(ctx, owner, repo, pr, &gh.IssueComment{Body: &full})
	if err == nil {
		return cm.GetID(), nil
	}
	err = wrap(fmt.Sprintf("create comment on #%d", pr), resp, err)
	if !maybeApplied(err) {
		return 0, err
	}
	// The create may have happened: look before creating again.
	if found, ferr := c.findComments(ctx, owner, repo, pr, marker, id); ferr == nil && len(found) > 0 {
		return found[len(found)-1], nil
	}
	cm, resp, err = c.api.Issues.CreateComment(ctx, owner, repo, pr, &gh.IssueComment{Body: &full})
	if err != nil {
		return 0, wrap(fmt.Sprintf("create comment on #%d", pr), resp, err)
	}
	return cm.GetID(), nil
}

func (c *Client) editComment(ctx context.Context, owner, repo string, id int64, body string) error {
	_, resp, err := c.api.Issues.EditComment(ctx, owner, repo, id, &gh.IssueComment{Body: &body})
	return wrap(fmt.Sprintf("edit comment %d", id), resp, err)
}

// findComments returns the ids of the comments on pr whose body starts with marker, oldest
// first, skipping the id known to be unusable.
func (c *Client) findComments(ctx context.Context, owner, repo string, pr int, marker string, skip int64) ([]int64, error) {
	var ids []int64
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		list, resp, err := c.api.Issues.ListComments(ctx, owner, repo, pr, opts)
		if err != nil {
			return nil, wrap(fmt.Sprintf("list comments of #%d", pr), resp, err)
		}
		for _, cm := range list {
			if cm.GetID() != skip && strings.HasPrefix(cm.GetBody(), marker) {
				ids = append(ids, cm.GetID())
			}
		}
		if resp.NextPage == 0 {
			return ids, nil
		}
		opts.Page = resp.NextPage
	}
}
