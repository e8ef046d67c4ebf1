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
// A KindReply (help, or an answer to a malformed command) is posted only when the commenter
// holds it.ChatOps.Required, read through r's Permission method (*github.Client has one);
// otherwise, or when r cannot read permissions, the comment only gets ReactionMinusOne.
// Everything is attempted; errors are joined.
func Respond(ctx context.Context, r Responder, it Intent, succeeded bool) error {
	if it.ChatOps == nil {
		return nil
	}
	var errs []error
	reaction := ReactionFor(it, succeeded)
	if (it.Kind == KindReply || it.Kind == KindRefuse) && it.Reply != "" && it.PR > 0 {
		may := true
		if it.Kind == KindReply {
			var err error
			if may, err = mayReply(ctx, r, it); err != nil {
				errs = append(errs, err)
			}
		}
		if !may {
			reaction = github.ReactionMinusOne
		} else if _, err := r.Reply(ctx, it.Owner, it.Name, it.PR, it.Reply); err != nil {
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

// permissionReader is the optional part of a Responder that Respond uses to decide whether a
// reply may be posted.
type permissionReader interface {
	Permission(ctx context.Context, owner, repo, user string) (github.Permission, error)
}

// mayReply reports whether the commenter holds it.ChatOps.Required. It fails closed: false
// when r cannot read permissions or the read fails (the error is returned, wrapped).
func mayReply(ctx context.Context, r Responder, it Intent) (bool, error) {
	if it.ChatOps.Required <= github.PermNone {
		return true, nil
	}
	pr, ok := r.(permissionReader)
	if !ok {
		return false, nil
	}
	got, err := pr.Permission(ctx, it.Owner, it.Name, it.Actor)
	if err != nil && !errors.Is(err, github.ErrNotFound) {
		return false, fmt.Errorf("permission of %s: %w", it.Actor, err)
	}
	return got.Reaches(it.ChatOps.Required), nil
}
