package action

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/pkg/chatops"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Responder is what Acknowledge and Respond need from the GitHub API; *github.Client
// implements it.
type Responder interface {
	React(ctx context.Context, owner, repo string, commentID int64, r github.Reaction) error
	Reply(ctx context.Context, owner, repo string, number int, body string) (int64, error)
}

// Acknowledge adds the receipt reaction (eyes) to a ChatOps comment; it does nothing for other
// intents. Errors are the API's, wrapped.
func Acknowledge(ctx context.Context, r Responder, it Intent) error {
	if it.ChatOps == nil || it.ChatOps.CommentID == 0 {
		return nil
	}
	if err := r.React(ctx, it.Owner, it.Name, it.ChatOps.CommentID, github.ReactionReceived); err != nil {
		return fmt.Errorf("acknowledge comment %d: %w", it.ChatOps.CommentID, err)
	}
	return nil
}

// Respond closes a ChatOps exchange: for KindReply and KindRefuse it posts it.Reply on the
// PR, but only when the commenter may be answered (it.ChatOps.MayReply, which needs Authorize
// to have read their permission); otherwise the comment gets reactions only, and
// ReactionMinusOne for a reply it did not get. Then it adds ReactionFor(it, succeeded). It
// does nothing for intents without ChatOps. Everything is attempted; errors are joined.
func Respond(ctx context.Context, r Responder, it Intent, succeeded bool) error {
	if it.ChatOps == nil {
		return nil
	}
	var errs []error
	reaction := ReactionFor(it, succeeded)
	switch {
	case !hasReply(it):
	case !it.ChatOps.MayReply():
		reaction = github.ReactionMinusOne
	default:
		if _, err := r.Reply(ctx, it.Owner, it.Name, it.PR, it.Reply); err != nil {
			errs = append(errs, fmt.Errorf("reply on #%d: %w", it.PR, err))
		}
	}
	if it.ChatOps.CommentID != 0 {
		if err := r.React(ctx, it.Owner, it.Name, it.ChatOps.CommentID, reaction); err != nil {
			errs = append(errs, fmt.Errorf("react to comment %d: %w", it.ChatOps.CommentID, err))
		}
	}
	return errors.Join(errs...)
}

// Connects reports whether it is a `/sindri connect` command: a status job whose answer is
// the environment's connect instructions (ConnectReply).
func (it Intent) Connects() bool {
	return it.ChatOps != nil && it.ChatOps.Command.Verb == chatops.VerbConnect
}

// ConnectReply is the answer to `/sindri connect` once its status job has finished: the
// guide's way in, the exact commands and the VS Code link of a running environment, or what
// to do first when it is not running.
func ConnectReply(v View, prefix string) string {
	env := chatops.CodeSpan(v.Env)
	switch {
	case v.State == providers.StateRunning && v.Connection != nil:
		var b strings.Builder
		fmt.Fprintf(&b, "%s on %s is running.\n\n", env, v.Provider)
		writeConnect(&b, v.Provider, v.Env, v.Connection)
		return strings.TrimRight(b.String(), "\n") + "\n"
	case v.State == providers.StateRunning:
		return fmt.Sprintf("%s on %s is running, but %s cannot say how to reach an existing environment: the way in is in the comment of its last deploy (or run `%s deploy`).\n",
			env, v.Provider, v.Provider, prefix)
	case v.State == providers.StateNotDeployed:
		return fmt.Sprintf("%s is not deployed on %s: run `%s deploy` first.\n", env, v.Provider, prefix)
	}
	return fmt.Sprintf("%s on %s is %s: run `%s start` (or `%s deploy`) first.\n", env, v.Provider, v.State, prefix, prefix)
}

// hasReply reports whether it carries an answer to post on the PR.
func hasReply(it Intent) bool {
	return (it.Kind == KindReply || it.Kind == KindRefuse || it.Connects()) && it.ChatOps != nil && it.Reply != "" && it.PR > 0
}

// Unanswered returns, for the workflow log, why Respond posts no reply for it although it has
// one: the commenter is below the reply threshold. It returns "" when Respond would post the
// reply, or has none to post.
func Unanswered(it Intent) string {
	if !hasReply(it) || it.ChatOps.MayReply() {
		return ""
	}
	c := it.ChatOps
	return fmt.Sprintf("comment %d by @%s was not answered on the pull request: a reply needs %s permission on %s (has %s); it got a reaction only",
		c.CommentID, it.Actor, max(c.ReplyAt, github.PermRead), it.Repo, c.Commenter)
}
