package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/chatops"
	"github.com/sindri/deploy/v3/pkg/github"
)

// ErrPayload is wrapped by Route errors for an unreadable event payload.
var ErrPayload = errors.New("unreadable event payload")

// ErrNoCommand is returned by Route for workflow_dispatch when neither the `command` input nor
// a `command` workflow input names what to do.
var ErrNoCommand = errors.New("workflow_dispatch needs a command: set the action's `command` input (e.g. command: ${{ inputs.command }})")

// Only the fields routing needs; unknown fields are ignored.
type (
	repoJSON struct {
		FullName string `json:"full_name"`
	}
	userJSON struct {
		Login string `json:"login"`
		Type  string `json:"type"`
	}
	payload struct {
		Action     string    `json:"action"`
		Repository *repoJSON `json:"repository"`
		Sender     *userJSON `json:"sender"`

		// pull_request
		PullRequest *struct {
			Number int  `json:"number"`
			Draft  bool `json:"draft"`
			Head   struct {
				Ref  string    `json:"ref"`
				SHA  string    `json:"sha"`
				Repo *repoJSON `json:"repo"`
			} `json:"head"`
			Base struct {
				Repo *repoJSON `json:"repo"`
			} `json:"base"`
		} `json:"pull_request"`

		// issue_comment
		Issue *struct {
			Number      int             `json:"number"`
			State       string          `json:"state"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
		Comment *struct {
			ID   int64     `json:"id"`
			Body string    `json:"body"`
			User *userJSON `json:"user"`
		} `json:"comment"`

		// push, delete, workflow_dispatch
		Ref     string         `json:"ref"`
		RefType string         `json:"ref_type"`
		After   string         `json:"after"`
		Deleted bool           `json:"deleted"`
		Inputs  map[string]any `json:"inputs"`
	}
)

// Route turns the triggering event (GITHUB_EVENT_NAME and the JSON at GITHUB_EVENT_PATH) into
// an Intent. It never talks to the network: ChatOps commands come back with NeedsPR set and the
// required permission, for Authorize to finish. Events it does not handle are KindSkip with a
// Reason, not errors. It returns an error wrapping ErrPayload for a payload it cannot read, and
// ErrNoCommand for a workflow_dispatch that names no command. Repo is empty for schedule
// events, whose payload does not name the repository: fill it from GITHUB_REPOSITORY.
func Route(eventName string, raw []byte, in Inputs) (Intent, error) {
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		return Intent{}, fmt.Errorf("%w: %s: %w", ErrPayload, eventName, err)
	}
	it := Intent{Trigger: eventName}
	if p.Action != "" {
		it.Trigger += "." + p.Action
	}
	if p.Repository != nil {
		it.Repo = p.Repository.FullName
		it.Owner, it.Name, _ = strings.Cut(it.Repo, "/")
	}
	if p.Sender != nil {
		it.Actor = p.Sender.Login
	}
	it.Provider = in.Provider

	var err error
	switch eventName {
	case "pull_request", "pull_request_target":
		err = routePull(&it, &p, in)
	case "issue_comment":
		err = routeComment(&it, &p, in)
	case "push":
		err = routePush(&it, &p)
	case "delete":
		err = routeDelete(&it, &p)
	case "schedule":
		it.Kind = KindReap
	case "workflow_dispatch":
		err = routeDispatch(&it, &p, in)
	default:
		return skip(it, "event %q is not handled by sindri/deploy (handled: pull_request, issue_comment, push, delete, schedule, workflow_dispatch)", it.Trigger), nil
	}
	if err != nil {
		return Intent{}, err
	}
	// A schedule payload names no repository: the caller fills Repo from GITHUB_REPOSITORY.
	if it.Repo == "" && it.Kind != KindSkip && it.Kind != KindReap {
		return Intent{}, fmt.Errorf("%w: %s: no repository.full_name", ErrPayload, eventName)
	}
	applyCommandOverride(&it, in)
	return it, nil
}

func skip(it Intent, format string, args ...any) Intent {
	it.Kind = KindSkip
	it.Reason = fmt.Sprintf(format, args...)
	return it
}

// ReplyPermission is the reply threshold: the permission a commenter needs to be answered with
// a comment at all (help, an answer to a malformed command, a refusal), given the configured
// chatops-permission. It is triage, or the configured permission when that is lower, and never
// below read. Everyone below it gets reactions only, so no stranger can make the bot post.
func ReplyPermission(configured github.Permission) github.Permission {
	return max(github.PermRead, min(configured, github.PermTriage))
}

// newChatOps returns the ChatOps of comment id with the configured permissions; the commenter's
// own permission is Authorize's to fill.
func newChatOps(id int64, cmd chatops.Command, in Inputs) *ChatOps {
	return &ChatOps{CommentID: id, Command: cmd, Required: in.ChatOpsPermission,
		ReplyAt: ReplyPermission(in.ChatOpsPermission)}
}

func refuse(it *Intent, format string, args ...any) {
	it.Kind = KindRefuse
	it.Reason = fmt.Sprintf(format, args...)
	if it.ChatOps != nil {
		it.Reply = it.Reason
	}
}

// applyCommandOverride: an explicit `command` input replaces the routed job kind, except that
// a closed pull request always destroys (close wins) and ChatOps comments decide for themselves.
func applyCommandOverride(it *Intent, in Inputs) {
	if in.Command == CommandAuto || in.Command == "" || it.ChatOps != nil {
		return
	}
	if _, isJob := it.Kind.Job(); !isJob {
		return
	}
	if it.Trigger == "pull_request.closed" || it.Trigger == "pull_request_target.closed" {
		return
	}
	it.Kind = Kind(in.Command)
}

func routePull(it *Intent, p *payload, in Inputs) error {
	pr := p.PullRequest
	if pr == nil || pr.Number <= 0 {
		return fmt.Errorf("%w: %s: no pull_request.number", ErrPayload, it.Trigger)
	}
	it.PR = pr.Number
	it.SHA = pr.Head.SHA
	it.Branch = pr.Head.Ref
	it.Ref = "refs/pull/" + strconv.Itoa(pr.Number) + "/head"

	switch p.Action {
	case "closed":
		// Destroying runs no code from the PR, so it is allowed for forks too.
		it.Kind = KindDestroy
		return nil
	case "opened", "reopened", "synchronize":
		if pr.Draft && in.OnDraft != DraftDeploy {
			*it = skip(*it, "pull request #%d is a draft; set on-draft: deploy to preview drafts", pr.Number)
			return nil
		}
		it.Kind = KindDeploy
	case "ready_for_review":
		it.Kind = KindDeploy
	case "converted_to_draft":
		switch in.OnDraft {
		case DraftStop:
			it.Kind = KindStop
		case DraftDestroy:
			it.Kind = KindDestroy
			return nil
		case DraftDeploy:
			*it = skip(*it, "pull request #%d became a draft; on-draft: deploy keeps its environment", pr.Number)
			return nil
		default:
			*it = skip(*it, "pull request #%d became a draft; on-draft: ignore leaves its environment as it is", pr.Number)
			return nil
		}
	default:
		*it = skip(*it, "%s is not handled (handled: opened, reopened, synchronize, ready_for_review, converted_to_draft, closed)", it.Trigger)
		return nil
	}
	if isFork(pr.Head.Repo, pr.Base.Repo) && !in.AllowForks {
		refuse(it, "pull request #%d comes from a fork (%s); set allow-forks: true to deploy fork code", pr.Number, repoName(pr.Head.Repo))
	}
	return nil
}

func isFork(head, base *repoJSON) bool {
	return head == nil || base == nil || head.FullName == "" || !strings.EqualFold(head.FullName, base.FullName)
}

func repoName(r *repoJSON) string {
	if r == nil || r.FullName == "" {
		return "a deleted repository"
	}
	return r.FullName
}

func routeComment(it *Intent, p *payload, in Inputs) error {
	if p.Action != "created" {
		*it = skip(*it, "%s is ignored: only new comments are commands", it.Trigger)
		return nil
	}
	if p.Issue == nil || p.Comment == nil {
		return fmt.Errorf("%w: %s: no issue or comment", ErrPayload, it.Trigger)
	}
	if len(p.Issue.PullRequest) == 0 || string(p.Issue.PullRequest) == "null" {
		*it = skip(*it, "comment on issue #%d, not on a pull request", p.Issue.Number)
		return nil
	}
	if p.Comment.User != nil {
		it.Actor = p.Comment.User.Login
		if p.Comment.User.Type == "Bot" {
			*it = skip(*it, "comment by bot %s is ignored", p.Comment.User.Login)
			return nil
		}
	}
	it.PR = p.Issue.Number
	it.Ref = "refs/pull/" + strconv.Itoa(it.PR) + "/head"
	cmd, err := chatops.Parse(p.Comment.Body, in.ChatOpsPrefix)
	var pe *chatops.ParseError
	switch {
	case errors.Is(err, chatops.ErrNotCommand):
		*it = skip(*it, "comment %d is not a %s command", p.Comment.ID, in.ChatOpsPrefix)
		return nil
	case errors.As(err, &pe):
		it.Kind = KindReply
		// Only commenters at the reply threshold are answered; others get a reaction (Respond).
		it.ChatOps = newChatOps(p.Comment.ID, chatops.Command{}, in)
		it.Reply = "`" + in.ChatOpsPrefix + "`: " + pe.Error() + "\n\n" + chatops.Help(in.ChatOpsPrefix)
		return nil
	case err != nil:
		return fmt.Errorf("chatops: %w", err)
	}
	it.ChatOps = newChatOps(p.Comment.ID, cmd, in)
	if cmd.Verb == chatops.VerbHelp {
		it.Kind = KindReply
		it.Reply = chatops.Help(in.ChatOpsPrefix)
		return nil
	}
	it.Kind = Kind(cmd.Verb)
	if cmd.Verb == chatops.VerbConnect {
		// connect is a status job whose answer is the connect instructions (ConnectReply).
		it.Kind = KindStatus
	}
	it.NeedsPR = true
	if cmd.Provider != "" {
		it.Provider = cmd.Provider
	}
	it.Force, it.TTL = cmd.Force, cmd.TTL
	if p.Issue.State == "closed" && it.Kind != KindDestroy && it.Kind != KindStatus {
		refuse(it, "pull request #%d is closed; only destroy and status work on closed pull requests", it.PR)
	}
	return nil
}

func routePush(it *Intent, p *payload) error {
	branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
	if !ok {
		*it = skip(*it, "push to %q is not a branch; only branch pushes have environments", p.Ref)
		return nil
	}
	it.Ref, it.Branch = p.Ref, branch
	if p.Deleted {
		it.Kind = KindDestroy
		return nil
	}
	it.Kind = KindDeploy
	it.SHA = p.After
	return nil
}

func routeDelete(it *Intent, p *payload) error {
	if p.RefType != "branch" {
		*it = skip(*it, "deleted %s %q; only branches have environments", p.RefType, p.Ref)
		return nil
	}
	it.Kind = KindDestroy
	it.Branch = strings.TrimPrefix(p.Ref, "refs/heads/")
	it.Ref = "refs/heads/" + it.Branch
	return nil
}

// routeDispatch reads the command from the `command` input or, failing that, the workflow's
// own `command` input; a `pr` workflow input targets that pull request's environment.
func routeDispatch(it *Intent, p *payload, in Inputs) error {
	cmd := in.Command
	if cmd == CommandAuto || cmd == "" {
		s, _ := p.Inputs["command"].(string)
		if s == "" {
			return ErrNoCommand
		}
		c, err := ParseCommand(s)
		if err != nil || c == CommandAuto {
			return fmt.Errorf("%w (workflow input command=%q)", ErrNoCommand, s)
		}
		cmd = c
	}
	it.Kind = Kind(cmd)
	it.Ref = p.Ref
	it.Branch = strings.TrimPrefix(p.Ref, "refs/heads/")
	if v, set := p.Inputs["pr"]; set && v != "" && v != nil {
		pr, ok := dispatchPR(v)
		if !ok {
			return fmt.Errorf("%w: workflow_dispatch: input pr=%v is not a pull request number", ErrPayload, v)
		}
		it.PR = pr
		it.Ref = "refs/pull/" + strconv.Itoa(pr) + "/head"
		it.Branch = ""
		it.NeedsPR = true
	}
	return nil
}

func dispatchPR(v any) (int, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(s), "#"))
	return n, err == nil && n > 0
}
