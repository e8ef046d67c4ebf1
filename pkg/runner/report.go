package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
)

// onGitHub reports whether t's environment has anything on GitHub to update: a sticky comment
// or a Deployment (known, or found with one listing). When in doubt (a failed lookup) it says
// yes.
func (r *run) onGitHub(ctx context.Context, t *github.Target) bool {
	if t.CommentID != 0 || t.DeploymentID != 0 {
		return true
	}
	if r.gh.Comments && t.PR > 0 && !t.Searched {
		return true
	}
	if !r.gh.Deployments {
		return false
	}
	id, err := r.gh.Client.EnsureDeployment(ctx, t.Owner, t.Repo, t.Env, t.Ref, 0, false)
	if err != nil {
		return true
	}
	t.DeploymentID = id
	return id != 0
}

// finalReportTimeout bounds the final GitHub reports of a cancelled run.
const finalReportTimeout = 30 * time.Second

// finalCtx returns the context of a final GitHub report: not cancelled with ctx, so a cancelled
// workflow still leaves a truthful final status. It lasts until the job's deadline (the
// timeout input, counted from the run's start), so that a rate limit GitHub asks to wait out
// is waited out, and at least finalReportTimeout; once ctx is cancelled (the workflow was
// cancelled) at most finalReportTimeout more.
func (r *run) finalCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	end := time.Now().Add(finalReportTimeout)
	if ctx.Err() == nil && r.deadline.After(end) {
		end = r.deadline
	}
	fctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), end)
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(finalReportTimeout, cancel)
		context.AfterFunc(fctx, func() { t.Stop() })
	})
	return fctx, func() {
		stop()
		cancel()
	}
}

// rejectedToken stops a deploy whose GitHub token was rejected (401) before anything was
// published.
func (r *run) rejectedToken(ctx context.Context, e *github.APIError) int {
	r.out().Error(r.redact(fmt.Sprintf("GitHub rejected the github-token input: HTTP 401 (bad credentials) to %s (request %s); nothing was published. Pass a valid token, or set comment: false and deployment: false to run without GitHub reporting", e.Op, e.RequestID)), nil)
	r.respond(ctx, false)
	return ExitFailed
}

// target names the environment's GitHub objects, with the ids and the closed flag kept in its
// record, and gives the GitHub client the validators the record keeps.
func (r *run) target(env string, rec *events.EnvRecord) *github.Target {
	t := &github.Target{Owner: r.it.Owner, Repo: r.it.Name, PR: r.it.PR, Env: env, Ref: firstNonEmpty(r.it.SHA, r.it.Ref)}
	if rec != nil {
		t.CommentID, t.DeploymentID, t.Closed = rec.CommentID, rec.DeploymentID, rec.Closed
		t.Usage = rec.Usage
		r.kept = [2]int64{rec.CommentID, rec.DeploymentID}
		r.loadValidators(rec)
	}
	return t
}

// loadValidators gives the GitHub client the validators rec keeps. Unreadable ones are
// ignored: the lookups are then made without a condition.
func (r *run) loadValidators(rec *events.EnvRecord) {
	if r.gh == nil || len(rec.GitHubValidators) == 0 {
		return
	}
	var kept map[string]github.Validator
	if json.Unmarshal(rec.GitHubValidators, &kept) == nil {
		r.gh.Client.Validators().Load(kept)
	}
}

// report writes u to GitHub (deployment status first, then the sticky comment) and keeps the
// ids in the env record so the next event costs fewer requests when the bus remembers. A
// GitHub error is reported as a warning and returned, except a rejected token
// (badCredentials), which the caller reports.
func (r *run) report(ctx context.Context, bus *Bus, t *github.Target, u github.Update) error {
	rerr := r.gh.Report(ctx, t, u)
	if rerr != nil && badCredentials(rerr) == nil {
		r.out().Warning(r.redact(fmt.Sprintf("GitHub report: %v", rerr)), nil)
	}
	r.keepGitHub(ctx, bus, t)
	return rerr
}

// keepGitHub keeps in t's env record what lets the next run spend fewer GitHub requests: the
// comment and Deployment ids, and the validators of the lookups made, when either changed.
func (r *run) keepGitHub(ctx context.Context, bus *Bus, t *github.Target) {
	ids := [2]int64{t.CommentID, t.DeploymentID}
	kept, changed := r.gh.Client.Validators().Kept()
	if ids == r.kept && !changed {
		return
	}
	raw, err := json.Marshal(kept)
	if err != nil {
		changed = false
	}
	_, _, err = bus.Envs.Update(ctx, t.Env, func(rec *events.EnvRecord, _ bool) error {
		rec.CommentID, rec.DeploymentID = t.CommentID, t.DeploymentID
		if changed {
			rec.GitHubValidators = raw
		}
		return nil
	})
	if err != nil {
		r.out().Warning(fmt.Sprintf("keep GitHub ids in the environment record: %v", err), nil)
		return
	}
	r.kept = ids
	if changed {
		r.gh.Client.Validators().MarkKept()
	}
}

// warnRejected reports a rejected token from a report whose caller goes on whatever GitHub
// answers: one more warning.
func (r *run) warnRejected(err error) {
	if badCredentials(err) != nil {
		r.out().Warning(r.redact(fmt.Sprintf("GitHub report: %v", err)), nil)
	}
}

// badCredentials returns the GitHub error in err that answered 401, meaning the token is
// invalid or expired, or nil. (A 403 is a missing permission or a rate limit, which does not
// stop a deployment.)
func badCredentials(err error) *github.APIError {
	var e *github.APIError
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		return e
	}
	return nil
}

// respond closes a ChatOps exchange (reply and final reaction); without the GitHub API, or in
// a dry run, a reply is printed as a notice. A reply the commenter is below the threshold for
// is not posted, and a warning says so.
func (r *run) respond(ctx context.Context, succeeded bool) {
	if r.deps.GitHub == nil || r.req.Inputs.DryRun {
		if r.it.Reply != "" {
			r.out().Notice(r.it.Reply)
		}
		return
	}
	if why := action.Unanswered(r.it); why != "" {
		r.out().Warning(why, nil)
	}
	if err := action.Respond(ctx, r.deps.GitHub, r.it, succeeded); err != nil {
		r.out().Warning(r.redact(fmt.Sprintf("answer the command: %v", err)), nil)
	}
}

func (r *run) setOutputs(o action.Outputs) {
	if err := r.out().SetOutputs(o); err != nil {
		r.out().Warning(err.Error(), nil)
	}
}
