package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/github"
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

// hasReply reports whether it carries an answer to post on the PR.
func hasReply(it Intent) bool {
	return (it.Kind == KindReply || it.Kind == KindRefuse) && it.ChatOps != nil && it.Reply != "" && it.PR > 0
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
