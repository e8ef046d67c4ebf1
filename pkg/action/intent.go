package action

import (
	"time"

	"github.com/sindri/deploy/v3/pkg/chatops"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Kind is what the action does for an event: run a job of some kind, or one of the non-job
// outcomes KindSkip, KindReply and KindRefuse.
type Kind string

// Kinds. The job kinds are jobs.Kind's.
const (
	KindDeploy  = Kind(jobs.KindDeploy)
	KindDestroy = Kind(jobs.KindDestroy)
	KindStop    = Kind(jobs.KindStop)
	KindStart   = Kind(jobs.KindStart)
	KindStatus  = Kind(jobs.KindStatus)
	KindPlan    = Kind(jobs.KindPlan)
	KindReap    = Kind(jobs.KindReap)
	// KindSkip: the event is not for us (or not now); print Reason as a notice and exit 0.
	KindSkip Kind = "skip"
	// KindReply: a ChatOps comment that needs only an answer (help, or a malformed command);
	// post Reply on the PR, react, exit 0.
	KindReply Kind = "reply"
	// KindRefuse: understood but refused by policy (fork PR, missing permission, closed PR);
	// print Reason as a warning, for ChatOps reply with it and react with -1, exit 0.
	KindRefuse Kind = "refuse"
)

// String implements fmt.Stringer.
func (k Kind) String() string { return string(k) }

// Job returns the jobs.Kind for a job-running kind, and false for skip, reply and refuse.
func (k Kind) Job() (jobs.Kind, bool) {
	switch k {
	case KindSkip, KindReply, KindRefuse, "":
		return "", false
	}
	j, err := jobs.ParseKind(string(k))
	return j, err == nil
}

// Intent is the routed meaning of one workflow event.
type Intent struct {
	Kind Kind
	// Reason explains skips and refusals in a sentence fit for a workflow notice.
	Reason string
	// Trigger is "<event>.<action>" (or just "<event>"), e.g. "pull_request.synchronize".
	Trigger string

	Repo   string // owner/name
	Owner  string
	Name   string
	PR     int    // 0 for branch environments and reaps
	SHA    string // commit to deploy; empty until Authorize resolves it for ChatOps
	Ref    string // full ref, e.g. refs/pull/2/head or refs/heads/main
	Branch string // head branch (PR) or pushed/deleted branch
	Actor  string // login of whoever caused the event

	// Provider, Force and TTL come from the provider input or ChatOps flags.
	Provider string
	Force    bool
	TTL      time.Duration

	// NeedsPR is true when SHA/Ref/Branch must be read from the pull request (issue_comment
	// and workflow_dispatch with a pr input); Authorize does it.
	NeedsPR bool
	// ChatOps is set for issue comments addressed to the prefix.
	ChatOps *ChatOps
	// Reply is the Markdown to post back for KindReply and ChatOps refusals.
	Reply string
}

// ChatOps carries what is needed to acknowledge, authorise and answer a comment command.
type ChatOps struct {
	CommentID int64 // for reactions
	Command   chatops.Command
	// Required is the permission the commenter needs to run the command (chatops-permission).
	Required github.Permission
	// ReplyAt is the permission the commenter needs to be answered with a comment at all (help,
	// a malformed command, a refusal): ReplyPermission(Required). Below it the comment gets
	// reactions only.
	ReplyAt github.Permission
	// Commenter is the commenter's permission as Authorize read it. It stays PermNone until
	// then, so an intent that was never authorised is never answered with a comment.
	Commenter github.Permission
}

// MayReply reports whether the commenter may be answered with a comment: Authorize found them
// holding ReplyAt, and at least read. It is false for a nil ChatOps.
func (c *ChatOps) MayReply() bool {
	return c != nil && c.Commenter.Reaches(max(c.ReplyAt, github.PermRead))
}

// ReactionFor returns the reaction the command's comment should get for the final outcome:
// rocket for success, confused for a reply to a malformed command, -1 for refusals and
// failures. ReactionReceived (eyes) is added on receipt, before any of these.
func ReactionFor(it Intent, succeeded bool) github.Reaction {
	switch {
	case it.Kind == KindReply && it.ChatOps != nil && it.ChatOps.Command.Verb == chatops.VerbHelp:
		return github.ReactionRocket
	case it.Kind == KindReply:
		return github.ReactionConfused
	case it.Kind == KindRefuse || !succeeded:
		return github.ReactionMinusOne
	}
	return github.ReactionRocket
}
