package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// job publishes one job and, unless told not to wait, follows it to its end.
//
// GitHub reporting costs at most four requests per event in steady state, with or without a
// bus that remembers: the sticky comment is found with one listing of the PR's comments
// (skipped when the env record knows its id) and its marker names the Deployment; the job's
// start writes the in_progress status (and the "deploying" comment only when its id was known
// without looking, or when a reopen must clear the marker's closed flag at once); the end
// writes the final status and the comment.
func (r *run) job(ctx context.Context, kind jobs.Kind) int {
	l := r.load(ctx)
	if l == nil {
		r.respond(ctx, false)
		return ExitFailed
	}
	if r.req.Inputs.DryRun && !policyOf(kind).readOnly {
		r.out().Notice(fmt.Sprintf("dry-run: %s of %s runs as a plan job (the provider's side-effect-free Plan); nothing is changed and nothing is written to GitHub", kind, l.env))
		kind = jobs.KindPlan
	}
	bus, err := r.deps.OpenBus(ctx, l.resolved)
	if err != nil {
		r.out().Error(r.redact(fmt.Sprintf("job bus: %v; nothing was published", err)), nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	defer bus.Close()
	pol := policyOf(kind)
	if msg := r.sealCheck(bus, l); msg != "" {
		r.out().Error(msg, nil)
		r.respond(ctx, false)
		return ExitFailed
	}

	rec, _, err := bus.Envs.Get(ctx, l.env)
	if err != nil && !errors.Is(err, events.ErrEnvNotFound) {
		r.out().Error(r.redact(fmt.Sprintf("read environment record %s: %v; nothing was published", l.env, err)), nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	if msg := r.ownership(l.env, rec); msg != "" {
		r.out().Error(msg, nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	v := action.View{
		Kind: r.it.Kind, Env: l.env, Provider: l.provider, Repo: r.it.Repo, PR: r.it.PR,
		SHA: r.it.SHA, Trigger: r.it.Trigger, Actor: r.it.Actor, RunURL: r.req.RunURL,
		Phase: pol.phase,
	}
	v.IdleSince = idleSince(rec)
	target := r.target(l.env, rec)
	// An opened PR the bus knows nothing of: nothing of it is on GitHub to look up (a re-run
	// or an overlapping run is caught by the creates' duplicate checks).
	target.New = rec == nil && kind == jobs.KindDeploy && prAction(r.it.Trigger) == "opened"
	reports := r.gh != nil && target.Owner != "" && pol.reports
	var marker github.Sticky
	var found bool
	if reports {
		var lerr error
		marker, found, lerr = r.gh.Lookup(ctx, target)
		if e := badCredentials(lerr); e != nil && pol.reportFirst {
			return r.rejectedToken(ctx, e)
		} else if lerr != nil {
			r.out().Warning(r.redact(fmt.Sprintf("GitHub: find the sticky comment of %s: %v", l.env, lerr)), nil)
		}
		if pol.skipUnreported && lerr == nil && !r.onGitHub(ctx, target) {
			// Closing a PR that never had an environment: no Deployment, no comment.
			reports = false
		}
		if rec != nil {
			// What the lookups found (and their ETags) is kept even when nothing is reported.
			r.keepGitHub(ctx, bus, target)
		}
	}
	r.restoreUsage(ctx, bus, l.env, rec, target)
	if msg := r.recordedProvider(ctx, bus, kind, l, rec, marker, found); msg != "" {
		r.out().Error(msg, nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	v.Provider = l.provider
	target.Provider = l.provider
	if msg := r.servedCheck(ctx, bus, l.provider); msg != "" {
		r.out().Error(msg, nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	// Close wins even when the bus forgot the environment (embedded mode on a fresh runner):
	// the destroy for the closed PR left closed=1 in the sticky comment's marker. A late deploy
	// that does not reopen is skipped before anything is published or reported.
	closed := (rec != nil && rec.Closed || found && marker.Closed) && !r.reopens(kind)
	if closed && pol.opens {
		return r.closeWins(ctx, kind, l.env)
	}
	switch {
	case r.closing(kind):
		target.Closed = true
	case pol.opens:
		target.Closed = false
	}
	// inProgress reports the job's start. The comment is edited only when this run will not
	// report the end (wait: false), or when a reopen clears the closed flag (at once, so that a
	// run that dies before its end cannot leave the reopened PR looking closed): a run that
	// waits writes the comment once, with the result, so a PR event costs at most three
	// requests when the env record knows the ids. A closing destroy sets the flag with its
	// final comment: setting it here too would cost another request on every close for the
	// rare destroy that dies half-way.
	waits := r.req.Inputs.Wait || bus.Embedded
	wasClosed := rec != nil && rec.Closed || found && marker.Closed
	inProgress := func() error {
		u, ok := action.GitHubUpdate(v, r.redact)
		if !reports || !ok {
			return nil
		}
		if waits && !(wasClosed && !target.Closed) {
			u.Comment = ""
		}
		return r.report(ctx, bus, target, u)
	}
	// A deploy reports "deploying" before its job is published, so a token GitHub rejects
	// outright stops it with one error and nothing deployed that could not be reported.
	// Destroys always run: tearing down must not depend on GitHub.
	if pol.reportFirst {
		if e := badCredentials(inProgress()); e != nil {
			return r.rejectedToken(ctx, e)
		}
	}

	j, seq, err := r.publish(ctx, bus, kind, l)
	// A deploy already reported in_progress: it must not stay so when no job was queued.
	startedReport := reports && pol.reportFirst
	if errors.Is(err, errClosed) {
		if startedReport {
			// The PR closed between reading the record and queueing: the destroy owns the
			// comment; the Deployment this run marked in_progress becomes inactive.
			fctx, cancel := r.finalCtx(ctx)
			target.Closed = true
			r.warnRejected(r.report(fctx, bus, target, github.Update{Status: github.DeploymentStatus{
				State: github.StateInactive, LogURL: r.redact(r.req.RunURL),
				Description: r.redact(fmt.Sprintf("%s: closed", l.env)),
			}}))
			cancel()
		}
		return r.closeWins(ctx, kind, l.env)
	}
	if err != nil {
		r.out().Error(r.redact(err.Error()), nil)
		if startedReport {
			v.Phase, v.Error = action.PhaseFailed, r.redact(err.Error())
			if u, ok := action.GitHubUpdate(v, r.redact); ok {
				fctx, cancel := r.finalCtx(ctx)
				r.warnRejected(r.report(fctx, bus, target, u))
				cancel()
			}
		}
		r.respond(ctx, false)
		return ExitFailed
	}
	v.JobID = j.ID
	if pol.reportAfter {
		r.warnRejected(inProgress())
	}
	if !waits {
		r.out().Notice(fmt.Sprintf("queued %s job %s for %s; not waiting (wait: false)", kind, j.ID, l.env))
		r.setOutputs(action.Outputs{JobID: j.ID, Environment: l.env, Status: "queued"})
		return ExitOK
	}
	start := r.deps.Now()
	ok := r.follow(ctx, bus, j, seq, &v)
	// The final reports run even when the workflow was cancelled (SIGTERM cancels ctx), so
	// GitHub is left with a truthful final status rather than in_progress.
	ctx, cancel := r.finalCtx(ctx)
	defer cancel()
	v.Duration = r.deps.Now().Sub(start).Round(time.Millisecond)
	if !ok {
		v.Phase = action.PhaseFailed
		if v.Error == "" {
			v.Error = "the job did not finish before the action's timeout; it may still complete on an executor"
		}
	}
	if err := r.out().Summary(action.RenderSummary(v, r.redact) + ephemeralWarning(r.req, v)); err != nil {
		r.out().Warning(err.Error(), nil)
	}
	if ro, ok := r.out().(ResultOutput); ok {
		ro.Result(v)
	}
	r.setOutputs(action.OutputsFromView(v))
	keepUsage(target, v)
	if v.Phase == action.PhaseDestroyed {
		// Nothing is deployed any more: the marker no longer pins a provider.
		target.Provider = ""
	}
	if u, ok := action.GitHubUpdate(v, r.redact); ok && reports {
		if !pol.touchesDeployment {
			// A status job only looks: it neither creates nor changes the Deployment, and it
			// refreshes the sticky comment only when there is one.
			u.Status = github.DeploymentStatus{}
			if target.CommentID == 0 {
				u.Comment = ""
			}
		}
		r.warnRejected(r.report(ctx, bus, target, u))
	}
	succeeded := v.Phase != action.PhaseFailed
	if succeeded && r.it.Connects() {
		r.it.Reply = r.redact(action.ConnectReply(v, r.req.Inputs.ChatOpsPrefix))
	}
	r.respond(ctx, succeeded)
	if !succeeded {
		r.out().Error(r.redact(fmt.Sprintf("%s of %s failed: %s", kind, l.env, v.Error)), nil)
		return ExitFailed
	}
	return ExitOK
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
