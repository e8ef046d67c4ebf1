package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/github"
)

// GitHub is what Authorize needs from the GitHub API; *github.Client implements it.
type GitHub interface {
	PullRequest(ctx context.Context, owner, repo string, number int) (github.PullRequest, error)
	Permission(ctx context.Context, owner, repo, user string) (github.Permission, error)
}

// Authorize finishes an Intent that Route could not finish offline. For every ChatOps intent
// (a job, a reply or a refusal) it reads the commenter's repository permission once into
// ChatOps.Commenter, which decides whether the comment may be answered at all (see
// ChatOps.MayReply); a job needs ChatOps.Required, and never less than read. For intents with
// NeedsPR it reads the pull request (head SHA, branch, fork, state) and applies the fork and
// closed-PR rules. Policy failures come back as KindRefuse with Reason (and Reply for ChatOps),
// not as errors; errors are API failures, returned wrapped.
func Authorize(ctx context.Context, gh GitHub, it Intent, in Inputs) (Intent, error) {
	_, isJob := it.Kind.Job()
	if it.ChatOps != nil {
		got, err := gh.Permission(ctx, it.Owner, it.Name, it.Actor)
		if err != nil && !errors.Is(err, github.ErrNotFound) {
			return it, fmt.Errorf("authorize %s: permission of %s: %w", it.Trigger, it.Actor, err)
		}
		c := *it.ChatOps
		c.Commenter = got
		it.ChatOps = &c
		if need := max(c.Required, github.PermRead); isJob && !got.Reaches(need) {
			refuse(&it, "@%s needs %s permission on %s to run `%s` (has %s)", it.Actor, need, it.Repo, c.Command.Verb, got)
			return it, nil
		}
	}
	if !isJob {
		return it, nil
	}
	if !it.NeedsPR {
		return it, nil
	}
	pr, err := gh.PullRequest(ctx, it.Owner, it.Name, it.PR)
	if err != nil {
		return it, fmt.Errorf("authorize %s: pull request #%d: %w", it.Trigger, it.PR, err)
	}
	it.NeedsPR = false
	it.SHA, it.Branch = pr.HeadSHA, pr.HeadRef
	if it.Kind == KindDestroy || it.Kind == KindStatus {
		return it, nil
	}
	if pr.State == "closed" {
		refuse(&it, "pull request #%d is closed; only destroy and status work on closed pull requests", it.PR)
		return it, nil
	}
	if pr.IsFork() && !in.AllowForks {
		refuse(&it, "pull request #%d comes from a fork (%s); set allow-forks: true to deploy fork code", it.PR, pr.HeadRepo)
	}
	return it, nil
}
