package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// run calls the provider with keep-alives (in-progress acks, lease renewal) and settles the
// job from the result.
func (d *delivery) run(ctx context.Context, op operation, p providers.Provider, lease *events.Lease) (string, string) {
	e, j := d.e, d.job
	// The secrets are known before the spec is built: a spec error may quote what the job
	// carries (an image reference holding a secret value), and is redacted like the rest.
	sv := e.cfg.LocalSecrets
	if j.SealedSecrets != "" {
		var err error
		if sv, err = e.openSecrets(j); err != nil {
			return d.fail(ctx, events.FailInvalidJob, err.Error(), nil)
		}
	}
	d.red = newRedactor(&providers.Spec{Secrets: sv})
	spec, err := e.cfg.BuildSpec(ctx, j)
	if err != nil {
		if providers.IsRetryable(err) {
			return d.retry(ctx, err, nil)
		}
		return d.fail(ctx, events.FailInvalidConfig, err.Error(), nil)
	}
	if j.SealedSecrets != "" || len(spec.Secrets) == 0 {
		spec.Secrets = sv
	}
	spec.Locks = sharedLocks{d: d}
	withheld := providers.SplitCredentials(spec, p.Capabilities().Credentials, deliverable(spec))
	if !j.Kind.Image() && p.Capabilities().UsesHandle {
		if err := d.lastHandle(ctx, spec); err != nil {
			return d.handBack(jitter(e.cfg.LeaseRetry), err)
		}
	}
	d.red = newRedactor(spec)
	started := &events.Started{Worker: e.cfg.Worker, Attempt: d.attempt}
	if lease != nil {
		started.LeaseExpires = lease.Expires
	}
	if err := d.emit(ctx, started); err != nil {
		return d.handBack(jitter(e.cfg.LeaseRetry), err)
	}
	opCtx, cancelOp := context.WithCancelCause(ctx)
	defer cancelOp(nil)
	if !j.Deadline.IsZero() {
		var cancelDL context.CancelFunc
		opCtx, cancelDL = context.WithDeadline(opCtx, j.Deadline)
		defer cancelDL()
	}
	stopKeep := d.keepAlive(opCtx, lease, cancelOp)
	rep := newEventReporter(opCtx, d.em, d.log, d.red)
	rep.onSeqTaken = func() { cancelOp(errNotOwner) }
	if len(withheld) > 0 && (j.Kind == jobs.KindDeploy || j.Kind == jobs.KindPlan) {
		rep.Log(fmt.Sprintf("secrets %s are credentials of provider %s: it uses them, and they are not delivered into the environment (mark a secret deliver: true to deliver it too)", strings.Join(withheld, ", "), p.Name()))
	}
	sp, costErr := d.checkCost(opCtx, p, spec)
	var limit *cost.LimitError
	switch {
	case errors.As(costErr, &limit), errors.Is(costErr, errPolicy):
		stopKeep()
		return d.fail(ctx, events.FailPolicy, d.redactErr(costErr).Error()+" (nothing was created; see docs/cost.md)", nil)
	case costErr != nil && providers.IsRetryable(costErr):
		stopKeep()
		return d.retry(ctx, d.redactErr(costErr), spec)
	case costErr != nil:
		stopKeep()
		return d.fail(ctx, events.FailInternal, d.redactErr(costErr).Error(), nil)
	}
	d.spend = sp
	if note := d.idleNote(spec); note != "" {
		rep.Log("warning: " + note)
	}
	t0 := time.Now()
	res, opErr := d.call(opCtx, op, p, spec, rep)
	stopKeep()
	d.settleSpend(ctx, sp, opErr)
	if res.plan != nil {
		res.plan.EstimatedCost = e.prices().Apply(j.Provider, res.plan.EstimatedCost)
	}
	elapsed := time.Since(t0)
	// A provider error may quote what it was given: events and logs see it redacted.
	opErr = d.redactErr(opErr)

	switch cause := context.Cause(opCtx); {
	case errors.Is(cause, errLeaseLost), errors.Is(cause, errNotOwner):
		// Another worker may hold the environment and this job's event sequence now: hand the
		// job back without a word, whatever the provider returned.
		return d.handBack(jitter(e.cfg.LeaseRetry), fmt.Errorf("%w (operation result: %v)", cause, opErr))
	case errors.As(opErr, new(*panicError)):
		d.recordFailure(ctx, opErr, spec)
		return d.fail(ctx, events.FailInternal, opErr.Error(), rep.lastLines())
	case opErr == nil:
		return d.succeed(ctx, p, spec, res, elapsed)
	case ctx.Err() != nil:
		// Drain deadline: the attempt did not count; another worker takes the job. What a
		// cancelled provider left behind is recorded for the one that takes it over.
		d.recordFailure(ctx, opErr, spec)
		d.emit(ctx, &events.Retrying{Reason: events.RetryShutdown, Message: "worker " + e.cfg.Worker + " is shutting down", Attempt: d.attempt - 1, MaxAttempts: e.cfg.MaxAttempts})
		return d.handBack(0, opErr)
	case !j.Deadline.IsZero() && time.Now().After(j.Deadline):
		d.recordFailure(ctx, opErr, spec)
		return d.fail(ctx, events.FailDeadline, fmt.Sprintf("deadline passed: %v", opErr), rep.lastLines())
	case providers.IsRetryable(opErr):
		return d.retry(ctx, opErr, spec)
	default:
		d.recordFailure(ctx, opErr, spec)
		return d.fail(ctx, events.FailProvider, failMessage(opErr), rep.lastLines())
	}
}

// failMessage is a permanent provider error's text with the advice its sentinel carries.
func failMessage(err error) string {
	if h := providers.Hint(err); h != "" {
		return err.Error() + " (" + h + ")"
	}
	return err.Error()
}

// deliverable names the secrets the config marks deliver: true.
func deliverable(s *providers.Spec) map[string]bool {
	if s.Config == nil {
		return nil
	}
	m := map[string]bool{}
	for _, sec := range s.Config.Secrets {
		if sec.Deliver {
			m[sec.Name] = true
		}
	}
	return m
}

// lastHandle gives the provider the handle recorded for the environment by an earlier job of
// the same provider: teardown without config (the executor's reaper, a changed config) finds
// what was made through it. An unreadable handle is logged and left out: labels still work.
// A mutating job reuses the record its supersede check read under the lease.
func (d *delivery) lastHandle(ctx context.Context, s *providers.Spec) error {
	rec, err := d.rec, error(nil)
	if rec == nil {
		rec, _, err = d.e.envs.Get(ctx, d.job.Env)
	}
	switch {
	case errors.Is(err, events.ErrEnvNotFound), errors.Is(err, events.ErrBadEnvRecord):
		return nil
	case err != nil:
		return err
	case rec.Handle == "" || rec.Provider != d.job.Provider:
		return nil
	}
	h, err := providers.ParseHandle(rec.Handle)
	if err != nil {
		d.log.Warn().Err(err).Msg("recorded handle is unreadable; the provider looks by labels")
		return nil
	}
	s.Handle = h
	return nil
}

// result is what a provider call produced, by kind.
type result struct {
	deployment *providers.Deployment
	status     *providers.Status
	plan       *providers.Plan
	image      *providers.Image
	images     []providers.Image
	// reaped is set when a reap job found the environment expired and destroyed it.
	reaped bool
}

// runningConnection is, for a running environment of a provider that can say how to reach
// it (providers.Connector), a Deployment holding only that way in, so a status job answers
// `/sindri connect` and the comment's connect section; nil otherwise. A Connection error
// leaves it out: the status stands on its own.
func runningConnection(ctx context.Context, p providers.Provider, s *providers.Spec, st *providers.Status) *providers.Deployment {
	conn, ok := p.(providers.Connector)
	if !ok || st == nil || st.State != providers.StateRunning {
		return nil
	}
	c, err := conn.Connection(ctx, s)
	if err != nil || c == nil {
		return nil
	}
	return &providers.Deployment{State: st.State, Connection: c}
}

// panicError is a provider call that panicked. Its message names the provider and the
// operation only: the panic value may quote anything the provider held, secrets included, so
// it goes to the executor log (redacted), never into events.
type panicError struct {
	provider string
	kind     jobs.Kind
}

func (e *panicError) Error() string {
	return fmt.Sprintf("internal error: provider %s panicked during %s; the operation was abandoned and the executor kept serving (its log has the details)", e.provider, e.kind)
}

// errNoResult: a provider call reported success without its result.
var errNoResult = errors.New("reported success but returned no result")

// call runs the job's provider operation. A panic in the provider becomes a *panicError, and a
// success without its result (a nil Deployment, Status or Plan) a permanent provider error, so
// that a broken provider fails its job instead of killing the executor.
func (d *delivery) call(ctx context.Context, op operation, p providers.Provider, s *providers.Spec, rep *eventReporter) (r result, err error) {
	defer func() {
		if v := recover(); v != nil {
			d.log.Error().Str("panic", rep.redact(fmt.Sprint(v))).Str("stack", rep.redact(string(debug.Stack()))).Msg("provider panicked")
			r, err = result{}, &panicError{provider: p.Name(), kind: d.job.Kind}
		}
	}()
	r, err = op.call(ctx, d, p, s, rep)
	if err != nil {
		return r, err
	}
	if op.complete != nil && !op.complete(r) {
		return result{}, fmt.Errorf("provider %s: %s %w", p.Name(), d.job.Kind, errNoResult)
	}
	return r, nil
}

// operation is what the executor does for one job kind. Every decision that differs by kind
// (which verb, whether the provider supports it, what a complete result is) is in this table.
type operation struct {
	// supported reports whether p can run the kind (nil: every provider can). A job the
	// provider cannot run fails with code unsupported and the provider is not called.
	supported func(p providers.Provider) bool
	// unsupported explains a refusal.
	unsupported string
	// complete reports whether a successful call returned its result (nil: nothing to check).
	complete func(result) bool
	call     func(ctx context.Context, d *delivery, p providers.Provider, s *providers.Spec, rep providers.Reporter) (result, error)
}

func stopStart(p providers.Provider) bool { return p.Capabilities().StopStart }

func imageBuilder(p providers.Provider) bool {
	_, ok := p.(providers.ImageBuilder)
	return ok
}

// operations maps every job kind to its operation; TestOperationsCoverEveryKind walks
// jobs.Kinds against it.
var operations = map[jobs.Kind]operation{
	jobs.KindDeploy: {
		complete: func(r result) bool { return r.deployment != nil },
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, rep providers.Reporter) (r result, err error) {
			r.deployment, err = p.Deploy(ctx, s, rep)
			return r, err
		},
	},
	jobs.KindDestroy: {
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, _ providers.Reporter) (result, error) {
			return result{}, p.Destroy(ctx, s)
		},
	},
	jobs.KindStop: {
		supported: stopStart, unsupported: "cannot stop an environment and start it again",
		complete: func(r result) bool { return r.status != nil },
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, _ providers.Reporter) (r result, err error) {
			if err = p.Stop(ctx, s); err == nil {
				r.status, err = p.Status(ctx, s)
			}
			return r, err
		},
	},
	jobs.KindStart: {
		supported: stopStart, unsupported: "cannot stop an environment and start it again",
		complete: func(r result) bool { return r.status != nil },
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, _ providers.Reporter) (r result, err error) {
			if err = p.Start(ctx, s); err == nil {
				r.status, err = p.Status(ctx, s)
			}
			return r, err
		},
	},
	jobs.KindStatus: {
		complete: func(r result) bool { return r.status != nil },
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, _ providers.Reporter) (r result, err error) {
			if r.status, err = p.Status(ctx, s); err == nil {
				r.deployment = runningConnection(ctx, p, s, r.status)
			}
			return r, err
		},
	},
	jobs.KindPlan: {
		complete: func(r result) bool { return r.plan != nil },
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, _ providers.Reporter) (r result, err error) {
			r.plan, err = p.Plan(ctx, s)
			return r, err
		},
	},
	jobs.KindReap: {
		call: func(ctx context.Context, d *delivery, p providers.Provider, s *providers.Spec, rep providers.Reporter) (r result, err error) {
			r.reaped, err = d.reap(ctx, p, s, rep)
			return r, err
		},
	},
	jobs.KindImageBuild: {
		supported: imageBuilder, unsupported: "does not build images",
		complete: func(r result) bool { return r.image != nil },
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, rep providers.Reporter) (r result, err error) {
			r.image, err = p.(providers.ImageBuilder).BuildImage(ctx, s, rep)
			return r, err
		},
	},
	jobs.KindImageValidate: {
		supported: imageBuilder, unsupported: "does not build images",
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, rep providers.Reporter) (result, error) {
			return result{}, p.(providers.ImageBuilder).ValidateImage(ctx, s, rep)
		},
	},
	jobs.KindImageList: {
		supported: imageBuilder, unsupported: "does not build images",
		call: func(ctx context.Context, _ *delivery, p providers.Provider, s *providers.Spec, _ providers.Reporter) (r result, err error) {
			r.images, err = p.(providers.ImageBuilder).ListImages(ctx, s)
			return r, err
		},
	},
	jobs.KindImageDelete: {
		supported: imageBuilder, unsupported: "does not build images",
		call: func(ctx context.Context, d *delivery, p providers.Provider, s *providers.Spec, _ providers.Reporter) (result, error) {
			return result{}, p.(providers.ImageBuilder).DeleteImage(ctx, s, d.job.Image)
		},
	},
}

// reap destroys the environment when its record says it expired; otherwise it does nothing.
func (d *delivery) reap(ctx context.Context, p providers.Provider, s *providers.Spec, rep providers.Reporter) (bool, error) {
	rec, _, err := d.e.envs.Get(ctx, d.job.Env)
	switch {
	case errors.Is(err, events.ErrBadEnvRecord):
		return false, errors.New(badRecordMessage(d.job.Env, err, false))
	case err != nil && !errors.Is(err, events.ErrEnvNotFound):
		return false, providers.Transient(err)
	}
	// A closed environment (its PR closed, close wins) that still exists was left behind by a
	// failed teardown: reap it whatever its expiry.
	closedLeftover := rec != nil && rec.Closed
	if rec != nil && !closedLeftover && (rec.ExpiresAt.IsZero() || time.Now().Before(rec.ExpiresAt)) {
		rep.Log("environment " + d.job.Env + " has not expired; nothing to reap")
		return false, nil
	}
	if closedLeftover {
		rep.Log("reaping environment " + d.job.Env + " (its pull request was closed)")
	} else {
		rep.Log("reaping environment " + d.job.Env)
	}
	return true, p.Destroy(ctx, s)
}
