package runner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/sindri/deploy/v3/pkg/executor"

	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
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
	if r.req.Inputs.DryRun && kind != jobs.KindPlan && kind != jobs.KindStatus {
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
		Phase: inProgressPhase(kind),
	}
	target := r.target(l.env, rec)
	knownComment := target.CommentID != 0
	reports := r.gh != nil && target.Owner != "" && kind != jobs.KindPlan
	var marker github.Sticky
	var found bool
	if reports {
		var lerr error
		marker, found, lerr = r.gh.Lookup(ctx, target)
		if e := badCredentials(lerr); e != nil && kind == jobs.KindDeploy {
			return r.rejectedToken(ctx, e)
		} else if lerr != nil {
			r.out().Warning(r.redact(fmt.Sprintf("GitHub: find the sticky comment of %s: %v", l.env, lerr)), nil)
		}
		if kind == jobs.KindDestroy && lerr == nil && !r.onGitHub(ctx, target) {
			// Closing a PR that never had an environment: no Deployment, no comment.
			reports = false
		}
	}
	if msg := r.recordedProvider(kind, l, rec, marker, found); msg != "" {
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
	if closed && (kind == jobs.KindDeploy || kind == jobs.KindStart) {
		return r.closeWins(ctx, kind, l.env)
	}
	switch {
	case r.closing(kind):
		target.Closed = true
	case kind == jobs.KindDeploy || kind == jobs.KindStart:
		target.Closed = false
	}
	// inProgress reports the job's start. The comment is edited only when its id was known
	// without the lookup, when this run will not report the end (wait: false), or when a
	// reopen clears the marker's closed flag (at once, so that a run that dies before its end
	// cannot leave the reopened PR looking closed). A closing destroy sets the flag with its
	// final comment: setting it here too would cost a fifth request on every close for the rare
	// destroy that dies half-way.
	waits := r.req.Inputs.Wait || bus.Embedded
	inProgress := func() error {
		u, ok := action.GitHubUpdate(v, r.redact)
		if !reports || !ok {
			return nil
		}
		if waits && !knownComment && !(found && marker.Closed && !target.Closed) {
			u.Comment = ""
		}
		return r.report(ctx, bus, target, u)
	}
	// A deploy reports "deploying" before its job is published, so a token GitHub rejects
	// outright stops it with one error and nothing deployed that could not be reported.
	// Destroys always run: tearing down must not depend on GitHub.
	if kind == jobs.KindDeploy {
		if e := badCredentials(inProgress()); e != nil {
			return r.rejectedToken(ctx, e)
		}
	}

	j, seq, err := r.publish(ctx, bus, kind, l)
	// A deploy already reported in_progress: it must not stay so when no job was queued.
	startedReport := reports && kind == jobs.KindDeploy
	if errors.Is(err, errClosed) {
		if startedReport {
			// The PR closed between reading the record and queueing: the destroy owns the
			// comment; the Deployment this run marked in_progress becomes inactive.
			fctx, cancel := finalCtx(ctx)
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
				fctx, cancel := finalCtx(ctx)
				r.warnRejected(r.report(fctx, bus, target, u))
				cancel()
			}
		}
		r.respond(ctx, false)
		return ExitFailed
	}
	v.JobID = j.ID
	if kind == jobs.KindDestroy {
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
	ctx, cancel := finalCtx(ctx)
	defer cancel()
	v.Duration = r.deps.Now().Sub(start).Round(time.Millisecond)
	if !ok {
		v.Phase = action.PhaseFailed
		if v.Error == "" {
			v.Error = "the job did not finish before the action's timeout; it may still complete on an executor"
		}
	}
	if err := r.out().Summary(action.RenderSummary(v, r.redact)); err != nil {
		r.out().Warning(err.Error(), nil)
	}
	r.setOutputs(action.OutputsFromView(v))
	if v.Phase == action.PhaseDestroyed {
		// Nothing is deployed any more: the marker no longer pins a provider.
		target.Provider = ""
	}
	if u, ok := action.GitHubUpdate(v, r.redact); ok && reports {
		if kind == jobs.KindStatus {
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
	r.respond(ctx, succeeded)
	if !succeeded {
		r.out().Error(r.redact(fmt.Sprintf("%s of %s failed: %s", kind, l.env, v.Error)), nil)
		return ExitFailed
	}
	return ExitOK
}

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

// finalReportTimeout bounds the final GitHub reports, which outlive a cancelled run.
const finalReportTimeout = 30 * time.Second

// finalCtx returns the context of a final GitHub report: not cancelled with ctx, so a cancelled
// workflow still leaves a truthful final status, and bounded by finalReportTimeout.
func finalCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finalReportTimeout)
}

// sealCheck returns the error to report when the job's secrets could not travel sealed: a bus
// with remote executors, resolved secrets and no usable executor-key. Embedded executors get
// the secrets in memory and need no key.
func (r *run) sealCheck(bus *Bus, l *loaded) string {
	if bus.Embedded || len(l.resolved) == 0 {
		return ""
	}
	key := r.req.Inputs.ExecutorKey
	if key == "" {
		return fmt.Sprintf("%s resolved %d secret(s) but the executor-key input is empty: with nats-url they would travel in clear on the bus; "+
			"set executor-key to the public key printed by `sindri-executor keygen` on the executors; nothing was published", l.relPath, len(l.resolved))
	}
	if !nkeys.IsValidPublicCurveKey(key) {
		return "the executor-key input is not a public xkey (X...): set it to the public key printed by `sindri-executor keygen`; nothing was published"
	}
	return ""
}

// ownership returns the error to report when env's record belongs to another repository than
// the intent's: the environment name template does not tell the repositories apart, and a job
// here would change another repository's environment.
func (r *run) ownership(env string, rec *events.EnvRecord) string {
	if rec == nil || rec.Repo == "" || r.it.Repo == "" || rec.Repo == r.it.Repo {
		return ""
	}
	return fmt.Sprintf("environment %s belongs to %s; set the environment input to a template with {repo}; nothing was published", env, rec.Repo)
}

// recordedProvider makes l use the provider env was deployed with (from its record, else from
// the sticky comment's marker) for every job but deploys and plans: a provider changed in the
// config, the provider input or a ChatOps flag must not orphan what is deployed. A deploy that
// names another provider than the live environment's is refused: it returns the error to report.
func (r *run) recordedProvider(kind jobs.Kind, l *loaded, rec *events.EnvRecord, marker github.Sticky, found bool) string {
	recorded, live := "", false
	switch {
	case rec != nil && rec.Provider != "":
		recorded = rec.Provider
		live = rec.State != providers.StateUnknown && rec.State != providers.StateNotDeployed
	case found && marker.Provider != "":
		// The marker names a provider only while the environment is deployed.
		recorded, live = marker.Provider, true
	}
	if recorded == "" || recorded == l.provider || !jobs.ValidProviderName(recorded) {
		return ""
	}
	switch kind {
	case jobs.KindPlan:
		return ""
	case jobs.KindDeploy:
		if !live {
			return ""
		}
		return fmt.Sprintf("environment %s is deployed with provider %q, not %q: destroy it first (`/sindri destroy`), then deploy with the new provider; nothing was published",
			l.env, recorded, l.provider)
	}
	r.out().Notice(fmt.Sprintf("%s of %s uses provider %q, which it was deployed with (not %q)", kind, l.env, recorded, l.provider))
	l.provider = recorded
	return ""
}

// rejectedToken stops a deploy whose GitHub token was rejected (401) before anything was
// published.
func (r *run) rejectedToken(ctx context.Context, e *github.APIError) int {
	r.out().Error(r.redact(fmt.Sprintf("GitHub rejected the github-token input: HTTP 401 (bad credentials) to %s (request %s); nothing was published. Pass a valid token, or set comment: false and deployment: false to run without GitHub reporting", e.Op, e.RequestID)), nil)
	r.respond(ctx, false)
	return ExitFailed
}

// closeWins skips a job for an environment whose PR was closed, reporting nothing to GitHub.
func (r *run) closeWins(ctx context.Context, kind jobs.Kind, env string) int {
	r.out().Notice(fmt.Sprintf("%s of %s skipped: its pull request was closed and the environment torn down (close wins); reopen the PR to deploy again", kind, env))
	r.setOutputs(action.Outputs{Environment: env, Status: "superseded"})
	r.respond(ctx, false)
	return ExitOK
}

// closing reports whether a job of kind closes its environment for good: the destroy for a
// closed pull request (pull_request or pull_request_target) or a deleted branch.
func (r *run) closing(kind jobs.Kind) bool {
	return kind == jobs.KindDestroy && (prAction(r.it.Trigger) == "closed" || strings.HasPrefix(r.it.Trigger, "delete"))
}

// reopens reports whether a job of kind for this intent reopens a closed environment: a
// reopened pull request (pull_request or pull_request_target), a deploy asked for by ChatOps,
// or a deploy of a branch environment (no PR) by a push or a workflow_dispatch: a branch
// deleted and created again deploys again, while close wins for pull requests.
func (r *run) reopens(kind jobs.Kind) bool {
	if prAction(r.it.Trigger) == "reopened" || (kind == jobs.KindDeploy && r.it.ChatOps != nil) {
		return true
	}
	event, _, _ := strings.Cut(r.it.Trigger, ".")
	return kind == jobs.KindDeploy && r.it.PR == 0 && (event == "push" || event == "workflow_dispatch")
}

// prAction returns the action part of a pull_request or pull_request_target trigger
// ("closed" for pull_request_target.closed), or "" for any other event.
func prAction(trigger string) string {
	event, act, ok := strings.Cut(trigger, ".")
	if !ok || (event != "pull_request" && event != "pull_request_target") {
		return ""
	}
	return act
}

// servedCheck returns an error message when nothing serves provider on the bus: the embedded
// executor was not built with it, or on a shared bus no executor has ever served it. Either
// way its durable consumer does not exist (every executor creates one per provider it
// serves), and a job published there would wait for its whole timeout.
func (r *run) servedCheck(ctx context.Context, bus *Bus, provider string) string {
	_, err := bus.JS.Consumer(ctx, events.JobsStream, executor.ConsumerPrefix+provider)
	switch {
	case err == nil, errors.Is(err, jetstream.ErrStreamNotFound):
		// Without the stream nothing can be told here; publishing says what is wrong.
		return ""
	case errors.Is(err, jetstream.ErrConsumerNotFound) && bus.Embedded:
		return fmt.Sprintf("provider %s is not available here; available: %s. This action runs its executor embedded, with the providers it was built with: set nats-url to a NATS deployment whose executors serve %s; nothing was published",
			provider, servedProviders(ctx, bus), provider)
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return fmt.Sprintf("provider %s is not available here; available: %s. No executor serves it on this NATS deployment (no consumer %s%s on %s): start sindri-executor with that provider enabled; nothing was published",
			provider, servedProviders(ctx, bus), executor.ConsumerPrefix, provider, events.JobsStream)
	default:
		return fmt.Sprintf("look up the executors of provider %q: %v; nothing was published", provider, err)
	}
}

// servedProviders lists the providers executors serve on a shared bus (their durable
// consumers), for a refusal; "none" when there are none or they cannot be listed.
func servedProviders(ctx context.Context, bus *Bus) string {
	st, err := bus.JS.Stream(ctx, events.JobsStream)
	if err != nil {
		return "none"
	}
	var names []string
	lister := st.ConsumerNames(ctx)
	for n := range lister.Name() {
		if p, ok := strings.CutPrefix(n, executor.ConsumerPrefix); ok {
			names = append(names, p)
		}
	}
	if lister.Err() != nil || len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// errClosed reports that the environment's PR was closed after this job was asked for.
var errClosed = errors.New("environment closed")

// publish resolves the image of a deploy or plan whose config names image_config.version,
// bumps the environment's desired generation (for jobs that change it) and publishes the job
// with its idempotency key.
func (r *run) publish(ctx context.Context, bus *Bus, kind jobs.Kind, l *loaded) (*jobs.Job, uint64, error) {
	var image string
	if (kind == jobs.KindDeploy || kind == jobs.KindPlan) && l.cfg != nil && l.cfg.NeedsImageResolution() {
		// Once, here, so that every attempt of the job on any executor runs the same image.
		img, err := r.deps.ResolveImage(ctx, l.cfg)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: deployment.image_config: %w; nothing was published", l.relPath, err)
		}
		ic := l.cfg.Deployment.ImageConfig
		r.out().Notice(fmt.Sprintf("image_config.version %q (%s) resolved to %s", ic.Version, ic.ResolutionStrategy, img))
		image = img
	}
	var gen uint64
	if kind.Mutates() {
		if r.reopens(kind) {
			if _, err := bus.Envs.Reopen(ctx, l.env); err != nil && !errors.Is(err, events.ErrEnvNotFound) {
				return nil, 0, fmt.Errorf("reopen environment %s: %w", l.env, err)
			}
		}
		g, err := bus.Envs.BumpDesired(ctx, l.env, r.closing(kind))
		if errors.Is(err, events.ErrEnvClosed) {
			return nil, 0, errClosed
		}
		if err != nil {
			return nil, 0, fmt.Errorf("bump desired generation of %s: %w", l.env, err)
		}
		gen = g
	}
	rec, _, err := bus.Envs.Get(ctx, l.env)
	if err != nil && !errors.Is(err, events.ErrEnvNotFound) {
		return nil, 0, fmt.Errorf("read environment record %s: %w", l.env, err)
	}
	if !kind.Mutates() && rec != nil {
		gen = rec.DesiredGeneration
	}
	j, err := jobs.New(kind, l.env, l.provider)
	if err != nil {
		return nil, 0, err
	}
	j.Generation = gen
	j.Repo, j.PR, j.SHA, j.Ref = r.it.Repo, r.it.PR, r.it.SHA, r.it.Ref
	j.Trigger, j.RequestedBy = r.it.Trigger, r.it.Actor
	j.Config = jobs.ConfigBlob{Path: l.relPath, Text: string(l.text)}
	j.Image = image
	j.Options = jobs.Options{Force: r.it.Force, TTL: jobs.Duration(r.it.TTL)}
	if t := r.req.Inputs.Timeout; t > 0 {
		j.Deadline = j.CreatedAt.Add(t)
	}
	if !bus.Embedded && len(l.resolved) > 0 {
		sealed, err := secrets.Seal(j.ID, l.resolved, r.req.Inputs.ExecutorKey)
		if err != nil {
			return nil, 0, fmt.Errorf("seal the secrets to executor-key: %w; nothing was queued", err)
		}
		j.SealedSecrets = sealed
	}
	if err := j.Validate(); err != nil {
		return nil, 0, fmt.Errorf("build job: %w", err)
	}
	key := jobs.IdempotencyKey(jobs.IdempotencyInput{
		Repo: j.Repo, Env: j.Env, Kind: j.Kind, Generation: j.Generation, SHA: j.SHA,
		Trigger: j.Trigger, Delivery: r.req.Delivery,
	})
	seq, dup, err := events.NewPublisher(bus.JS).SignedBy(bus.Signer).PublishJobSeq(ctx, j, key)
	if err != nil {
		return nil, 0, fmt.Errorf("publish job: %w; nothing was queued", err)
	}
	if dup {
		r.out().Notice(fmt.Sprintf("this %s of %s was already queued by an earlier attempt of this step; following it", kind, l.env))
	}
	return j, seq, nil
}

// follow streams the job's events into the log and v until a terminal event. It returns false
// when following ended without one (timeout or a broken connection). The failure's log tail
// holds every line the log showed for the job (log, progress and retry lines): a provider that
// fails early may have sent progress only.
func (r *run) follow(ctx context.Context, bus *Bus, j *jobs.Job, seq uint64, v *action.View) bool {
	if t := r.req.Inputs.Timeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	r.out().Group(fmt.Sprintf("sindri %s %s (%s)", j.Kind, j.Env, j.Provider))
	defer r.out().EndGroup()
	var tail []string
	// An executor that cannot trust the job's id (signature not verified) files its refusal
	// under the message's sequence instead.
	for ev, err := range events.Follow(ctx, bus.JS, j.ID, events.RefusedID(seq)) {
		if err != nil {
			if ev == nil && (errors.Is(err, events.ErrMalformedEvent) || errors.Is(err, events.ErrUnknownEventType)) {
				r.out().Log(r.redact(fmt.Sprintf("(skipped an unreadable event: %v)", err)))
				continue
			}
			v.Error = r.redact(fmt.Sprintf("following job %s: %v", j.ID, err))
			v.LogTail = tail
			return false
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
			line := r.redact(msg)
			r.out().Log(line)
			tail = appendTail(tail, line)
		case *events.Retrying:
			line := r.redact(fmt.Sprintf("retrying (attempt %d of %d, in %s): %s", d.Attempt, d.MaxAttempts, time.Duration(d.Delay), d.Message))
			r.out().Log(line)
			tail = appendTail(tail, line)
		case *events.Succeeded:
			applySucceeded(v, d)
			return true
		case *events.Failed:
			v.Phase = action.PhaseFailed
			v.Error = r.redact(d.Message)
			// Following replays the job's events from its first, so the tail seen here holds
			// the executor's LastLines (log lines only) and the progress between them; the
			// event's lines are the fallback when none arrived here.
			v.LogTail = tail
			if len(tail) == 0 {
				v.LogTail = redactAll(d.LastLines, r.redact)
			}
			return true
		case *events.Superseded:
			v.Phase = action.PhaseSuperseded
			r.out().Notice(fmt.Sprintf("skipped: %s (generation %d, desired %d)", d.Reason, d.Generation, d.DesiredGeneration))
			return true
		case *events.Deadlettered:
			v.Phase = action.PhaseFailed
			v.Error = r.redact(fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, d.Message))
			v.LogTail = tail
			return true
		}
	}
	if v.Error == "" && errors.Is(ctx.Err(), context.Canceled) {
		v.Error = fmt.Sprintf("the action was cancelled while following job %s; it may still complete on an executor", j.ID)
	}
	if v.Error == "" && ctx.Err() != nil {
		v.Error = fmt.Sprintf("timed out after %s waiting for job %s (raise the `timeout` input)", r.req.Inputs.Timeout, j.ID)
	}
	v.LogTail = tail
	return false
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

// target names the environment's GitHub objects, with the ids and the closed flag kept in its
// record.
func (r *run) target(env string, rec *events.EnvRecord) *github.Target {
	t := &github.Target{Owner: r.it.Owner, Repo: r.it.Name, PR: r.it.PR, Env: env, Ref: firstNonEmpty(r.it.SHA, r.it.Ref)}
	if rec != nil {
		t.CommentID, t.DeploymentID, t.Closed = rec.CommentID, rec.DeploymentID, rec.Closed
		r.kept = [2]int64{rec.CommentID, rec.DeploymentID}
	}
	return t
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
	if ids := [2]int64{t.CommentID, t.DeploymentID}; ids != r.kept {
		_, _, err := bus.Envs.Update(ctx, t.Env, func(rec *events.EnvRecord, _ bool) error {
			rec.CommentID, rec.DeploymentID = t.CommentID, t.DeploymentID
			return nil
		})
		if err != nil {
			r.out().Warning(fmt.Sprintf("keep GitHub ids in the environment record: %v", err), nil)
		} else {
			r.kept = ids
		}
	}
	return rerr
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
// a dry run, a reply is printed as a notice.
func (r *run) respond(ctx context.Context, succeeded bool) {
	if r.deps.GitHub == nil || r.req.Inputs.DryRun {
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
