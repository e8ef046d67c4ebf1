package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// job publishes one job and, unless told not to wait, follows it to its end.
func (r *run) job(ctx context.Context, kind jobs.Kind) int {
	l := r.load(ctx)
	if l == nil {
		r.respond(ctx, false)
		return ExitFailed
	}
	if r.req.Inputs.DryRun && kind != jobs.KindPlan && kind != jobs.KindStatus {
		r.out().Notice(fmt.Sprintf("dry-run: %s of %s becomes a plan; nothing is changed", kind, l.env))
		kind = jobs.KindPlan
	}
	bus, err := r.deps.OpenBus(ctx, l.resolved)
	if err != nil {
		r.out().Error(r.redact(fmt.Sprintf("job bus: %v; nothing was published", err)), nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	defer bus.Close()

	rec, _, err := bus.Envs.Get(ctx, l.env)
	if err != nil && !errors.Is(err, events.ErrEnvNotFound) {
		r.out().Error(r.redact(fmt.Sprintf("read environment record %s: %v; nothing was published", l.env, err)), nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	v := action.View{
		Kind: r.it.Kind, Env: l.env, Provider: l.provider, Repo: r.it.Repo, PR: r.it.PR,
		SHA: r.it.SHA, Trigger: r.it.Trigger, Actor: r.it.Actor, RunURL: r.req.RunURL,
		Phase: inProgressPhase(kind),
	}
	target := r.target(l.env, rec)
	// A deploy reports "deploying" before its job is published, so a token GitHub rejects
	// outright stops it with one error and nothing deployed that could not be reported. (A
	// deploy of a closed environment is refused by publish below and reports nothing.) Destroys
	// always run: tearing down must not depend on GitHub.
	closed := rec != nil && rec.Closed && !r.reopens(kind)
	if kind == jobs.KindDeploy && !closed {
		if e := badCredentials(r.report(ctx, bus, target, v)); e != nil {
			r.out().Error(r.redact(fmt.Sprintf("GitHub rejected the github-token input: HTTP 401 (bad credentials) to %s (request %s); nothing was published. Pass a valid token, or set comment: false and deployment: false to run without GitHub reporting", e.Op, e.RequestID)), nil)
			r.respond(ctx, false)
			return ExitFailed
		}
	}

	j, _, err := r.publish(ctx, bus, kind, l)
	if errors.Is(err, errClosed) {
		r.out().Notice(fmt.Sprintf("%s of %s skipped: its pull request was closed and the environment torn down (close wins); reopen the PR to deploy again", kind, l.env))
		r.setOutputs(action.Outputs{Environment: l.env, Status: "superseded"})
		r.respond(ctx, false)
		return ExitOK
	}
	if err != nil {
		r.out().Error(r.redact(err.Error()), nil)
		r.respond(ctx, false)
		return ExitFailed
	}
	v.JobID = j.ID
	if kind == jobs.KindDestroy {
		r.reportWarn(ctx, bus, target, v)
	}
	if !r.req.Inputs.Wait && !bus.Embedded {
		r.out().Notice(fmt.Sprintf("queued %s job %s for %s; not waiting (wait: false)", kind, j.ID, l.env))
		r.setOutputs(action.Outputs{JobID: j.ID, Environment: l.env, Status: "queued"})
		return ExitOK
	}
	start := r.deps.Now()
	final, ok := r.follow(ctx, bus, j, &v)
	v.Duration = r.deps.Now().Sub(start).Round(time.Millisecond)
	if !ok {
		v.Phase = action.PhaseFailed
		if v.Error == "" {
			v.Error = "the job did not finish before the action's timeout; it may still complete on an executor"
		}
	}
	_ = final
	if err := r.out().Summary(action.RenderSummary(v, r.redact)); err != nil {
		r.out().Warning(err.Error(), nil)
	}
	r.setOutputs(action.OutputsFromView(v))
	r.reportWarn(ctx, bus, target, v)
	succeeded := v.Phase != action.PhaseFailed
	r.respond(ctx, succeeded)
	if !succeeded {
		r.out().Error(r.redact(fmt.Sprintf("%s of %s failed: %s", kind, l.env, v.Error)), nil)
		return ExitFailed
	}
	return ExitOK
}

// reopens reports whether a job of kind for this intent reopens a closed environment: a
// reopened pull request, or a deploy asked for by ChatOps.
func (r *run) reopens(kind jobs.Kind) bool {
	return r.it.Trigger == "pull_request.reopened" || (kind == jobs.KindDeploy && r.it.ChatOps != nil)
}

// errClosed reports that the environment's PR was closed after this job was asked for.
var errClosed = errors.New("environment closed")

// publish bumps the environment's desired generation (for jobs that change it) and publishes
// the job with its idempotency key.
func (r *run) publish(ctx context.Context, bus *Bus, kind jobs.Kind, l *loaded) (*jobs.Job, *events.EnvRecord, error) {
	var gen uint64
	if kind.Mutates() {
		if r.reopens(kind) {
			if _, err := bus.Envs.Reopen(ctx, l.env); err != nil && !errors.Is(err, events.ErrEnvNotFound) {
				return nil, nil, fmt.Errorf("reopen environment %s: %w", l.env, err)
			}
		}
		closing := kind == jobs.KindDestroy && (r.it.Trigger == "pull_request.closed" || strings.HasPrefix(r.it.Trigger, "delete"))
		g, err := bus.Envs.BumpDesired(ctx, l.env, closing)
		if errors.Is(err, events.ErrEnvClosed) {
			return nil, nil, errClosed
		}
		if err != nil {
			return nil, nil, fmt.Errorf("bump desired generation of %s: %w", l.env, err)
		}
		gen = g
	}
	rec, _, err := bus.Envs.Get(ctx, l.env)
	if err != nil && !errors.Is(err, events.ErrEnvNotFound) {
		return nil, nil, fmt.Errorf("read environment record %s: %w", l.env, err)
	}
	if !kind.Mutates() && rec != nil {
		gen = rec.DesiredGeneration
	}
	j, err := jobs.New(kind, l.env, l.provider)
	if err != nil {
		return nil, nil, err
	}
	j.Generation = gen
	j.Repo, j.PR, j.SHA, j.Ref = r.it.Repo, r.it.PR, r.it.SHA, r.it.Ref
	j.Trigger, j.RequestedBy = r.it.Trigger, r.it.Actor
	j.Config = jobs.ConfigBlob{Path: l.relPath, Text: string(l.text)}
	j.Options = jobs.Options{Force: r.it.Force, TTL: jobs.Duration(r.it.TTL)}
	if t := r.req.Inputs.Timeout; t > 0 {
		j.Deadline = j.CreatedAt.Add(t)
	}
	if err := j.Validate(); err != nil {
		return nil, nil, fmt.Errorf("build job: %w", err)
	}
	key := jobs.IdempotencyKey(jobs.IdempotencyInput{
		Repo: j.Repo, Env: j.Env, Kind: j.Kind, Generation: j.Generation, SHA: j.SHA,
		Trigger: j.Trigger, Delivery: r.req.Delivery,
	})
	dup, err := events.NewPublisher(bus.JS).PublishJob(ctx, j, key)
	if err != nil {
		return nil, nil, fmt.Errorf("publish job: %w; nothing was queued", err)
	}
	if dup {
		r.out().Notice(fmt.Sprintf("this %s of %s was already queued by an earlier attempt of this step; following it", kind, l.env))
	}
	return j, rec, nil
}

// follow streams the job's events into the log and v until a terminal event. It returns false
// when following ended without one (timeout or a broken connection).
func (r *run) follow(ctx context.Context, bus *Bus, j *jobs.Job, v *action.View) (*events.Envelope, bool) {
	if t := r.req.Inputs.Timeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	r.out().Group(fmt.Sprintf("sindri %s %s (%s)", j.Kind, j.Env, j.Provider))
	defer r.out().EndGroup()
	var tail []string
	for ev, err := range events.Follow(ctx, bus.JS, j.ID) {
		if err != nil {
			if ev == nil && (errors.Is(err, events.ErrMalformedEvent) || errors.Is(err, events.ErrUnknownEventType)) {
				r.out().Log(r.redact(fmt.Sprintf("(skipped an unreadable event: %v)", err)))
				continue
			}
			v.Error = r.redact(fmt.Sprintf("following job %s: %v", j.ID, err))
			v.LogTail = tail
			return nil, false
		}
		switch d := ev.Data.(type) {
		case *events.Accepted:
			r.out().Log(fmt.Sprintf("accepted by %s (attempt %d)", d.Worker, d.Attempt))
		case *events.Started:
			r.out().Log(fmt.Sprintf("started on %s (attempt %d)", d.Worker, d.Attempt))
		case *events.Log:
			line := r.redact(d.Message)
			r.out().Log(line)
			tail = appendTail(tail, line)
		case *events.Progress:
			msg := d.Step
			if d.Total > 0 {
				msg = fmt.Sprintf("%s (%d/%d)", d.Step, d.Done, d.Total)
			}
			if d.Message != "" {
				msg += ": " + d.Message
			}
			r.out().Log(r.redact(msg))
		case *events.Retrying:
			r.out().Log(r.redact(fmt.Sprintf("retrying (attempt %d of %d, in %s): %s", d.Attempt, d.MaxAttempts, time.Duration(d.Delay), d.Message)))
		case *events.Succeeded:
			applySucceeded(v, d)
			return ev, true
		case *events.Failed:
			v.Phase = action.PhaseFailed
			v.Error = r.redact(d.Message)
			v.LogTail = tail
			if len(d.LastLines) > 0 {
				v.LogTail = redactAll(d.LastLines, r.redact)
			}
			return ev, true
		case *events.Superseded:
			v.Phase = action.PhaseSuperseded
			r.out().Notice(fmt.Sprintf("skipped: %s (generation %d, desired %d)", d.Reason, d.Generation, d.DesiredGeneration))
			return ev, true
		case *events.Deadlettered:
			v.Phase = action.PhaseFailed
			v.Error = r.redact(fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, d.Message))
			v.LogTail = tail
			return ev, true
		}
	}
	if v.Error == "" && ctx.Err() != nil {
		v.Error = fmt.Sprintf("timed out after %s waiting for job %s (raise the `timeout` input)", r.req.Inputs.Timeout, j.ID)
	}
	v.LogTail = tail
	return nil, false
}

func applySucceeded(v *action.View, d *events.Succeeded) {
	switch d.Kind {
	case jobs.KindDeploy:
		v.Phase = action.PhaseReady
	case jobs.KindDestroy, jobs.KindReap:
		v.Phase = action.PhaseDestroyed
	case jobs.KindStop:
		v.Phase = action.PhaseStopped
	case jobs.KindStart:
		v.Phase = action.PhaseStarted
	case jobs.KindPlan:
		v.Phase = action.PhasePlanned
	case jobs.KindStatus:
		v.Phase = action.PhaseStatus
	}
	v.URL, v.Connect, v.Plan = d.URL, d.Connect, d.Plan
	if d.Deployment != nil {
		v.State = d.Deployment.State
		if c := d.Deployment.Connection; c != nil && v.Connect == "" {
			v.Connect = firstNonEmpty(c.ExecCommand, c.SSHCommand)
		}
	}
	if d.Status != nil {
		v.State = d.Status.State
	}
	if d.Kind == jobs.KindDestroy {
		v.State = providers.StateNotDeployed
	}
}

func inProgressPhase(k jobs.Kind) action.Phase {
	if k == jobs.KindDestroy || k == jobs.KindReap {
		return action.PhaseDestroying
	}
	return action.PhaseDeploying
}

// target names the environment's GitHub objects, with the ids cached in its record.
func (r *run) target(env string, rec *events.EnvRecord) *github.Target {
	t := &github.Target{Owner: r.it.Owner, Repo: r.it.Name, PR: r.it.PR, Env: env, Ref: firstNonEmpty(r.it.SHA, r.it.Ref)}
	if rec != nil {
		t.CommentID, t.DeploymentID = rec.CommentID, rec.DeploymentID
	}
	return t
}

// report writes v to GitHub (deployment status first, then the sticky comment) and keeps the
// ids in the env record so the next event costs fewer requests. A GitHub error is reported as
// a warning and returned, except a rejected token (badCredentials), which the caller reports.
func (r *run) report(ctx context.Context, bus *Bus, t *github.Target, v action.View) error {
	if r.gh == nil || t.Owner == "" {
		return nil
	}
	u, ok := action.GitHubUpdate(v, r.redact)
	if !ok {
		return nil
	}
	before := *t
	rerr := r.gh.Report(ctx, t, u)
	if rerr != nil && badCredentials(rerr) == nil {
		r.out().Warning(r.redact(fmt.Sprintf("GitHub report: %v", rerr)), nil)
	}
	if t.CommentID == before.CommentID && t.DeploymentID == before.DeploymentID {
		return rerr
	}
	_, _, err := bus.Envs.Update(ctx, t.Env, func(rec *events.EnvRecord, _ bool) error {
		rec.CommentID, rec.DeploymentID = t.CommentID, t.DeploymentID
		return nil
	})
	if err != nil {
		r.out().Warning(fmt.Sprintf("keep GitHub ids in the environment record: %v", err), nil)
	}
	return rerr
}

// reportWarn is report for callers that go on whatever GitHub answers: a rejected token is
// one more warning.
func (r *run) reportWarn(ctx context.Context, bus *Bus, t *github.Target, v action.View) {
	if err := r.report(ctx, bus, t, v); badCredentials(err) != nil {
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

// respond closes a ChatOps exchange (reply and final reaction); without the GitHub API a
// reply is printed as a notice.
func (r *run) respond(ctx context.Context, succeeded bool) {
	if r.deps.GitHub == nil {
		if r.it.Reply != "" {
			r.out().Notice(r.it.Reply)
		}
		return
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

func appendTail(tail []string, line string) []string {
	tail = append(tail, line)
	if len(tail) > action.MaxLogLines {
		tail = tail[len(tail)-action.MaxLogLines:]
	}
	return tail
}

func redactAll(lines []string, redact action.Redactor) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = redact(l)
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
