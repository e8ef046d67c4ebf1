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
// PR; then it adds ReactionFor(it, succeeded). It does nothing for intents without ChatOps.
// Both are attempted; errors are joined.
func Respond(ctx context.Context, r Responder, it Intent, succeeded bool) error {
	if it.ChatOps == nil {
		return nil
	}
	var errs []error
	if (it.Kind == KindReply || it.Kind == KindRefuse) && it.Reply != "" && it.PR > 0 {
		if _, err := r.Reply(ctx, it.Owner, it.Name, it.PR, it.Reply); err != nil {
			errs = append(errs, fmt.Errorf("reply on #%d: %w", it.PR, err))
		}
	}
	if it.ChatOps.CommentID != 0 {
		if err := r.React(ctx, it.Owner, it.Name, it.ChatOps.CommentID, ReactionFor(it, succeeded)); err != nil {
			errs = append(errs, fmt.Errorf("react to comment %d: %w", it.ChatOps.CommentID, err))
		}
	}
	return errors.Join(errs...)
}
