package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// run calls the provider with keep-alives (in-progress acks, lease renewal) and settles the
// job from the result.
func (d *delivery) run(ctx context.Context, p providers.Provider, lease *events.Lease) (string, string) {
	e, j := d.e, d.job
	spec, err := e.cfg.BuildSpec(ctx, j)
	if err != nil {
		if providers.IsRetryable(err) {
			return d.retry(ctx, err)
		}
		return d.fail(ctx, events.FailInvalidConfig, err.Error(), nil)
	}
	if j.SealedSecrets != "" {
		sv, err := e.openSecrets(j)
		if err != nil {
			return d.fail(ctx, events.FailInvalidJob, err.Error(), nil)
		}
		spec.Secrets = sv
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
	t0 := time.Now()
	res, opErr := d.call(opCtx, p, spec, rep)
	stopKeep()
	elapsed := time.Since(t0)
	// A provider error may quote what it was given: events and logs see it redacted.
	opErr = d.redactErr(opErr)

	switch cause := context.Cause(opCtx); {
	case errors.Is(cause, errLeaseLost), errors.Is(cause, errNotOwner):
		// Another worker may hold the environment and this job's event sequence now: hand the
		// job back without a word, whatever the provider returned.
		return d.handBack(jitter(e.cfg.LeaseRetry), fmt.Errorf("%w (operation result: %v)", cause, opErr))
	case errors.As(opErr, new(*panicError)):
		d.recordFailure(ctx)
		return d.fail(ctx, events.FailInternal, opErr.Error(), rep.lastLines())
	case opErr == nil:
		return d.succeed(ctx, p, spec, res, elapsed)
	case ctx.Err() != nil:
		// Drain deadline: the attempt did not count; another worker takes the job.
		d.emit(ctx, &events.Retrying{Reason: events.RetryShutdown, Message: "worker " + e.cfg.Worker + " is shutting down", Attempt: d.attempt - 1, MaxAttempts: e.cfg.MaxAttempts})
		return d.handBack(0, opErr)
	case !j.Deadline.IsZero() && time.Now().After(j.Deadline):
		return d.fail(ctx, events.FailDeadline, fmt.Sprintf("deadline passed: %v", opErr), rep.lastLines())
	case providers.IsRetryable(opErr):
		return d.retry(ctx, opErr)
	default:
		d.recordFailure(ctx)
		return d.fail(ctx, events.FailProvider, opErr.Error(), rep.lastLines())
	}
}

// result is what a provider call produced, by kind.
type result struct {
	deployment *providers.Deployment
	status     *providers.Status
	plan       *providers.Plan
	// reaped is set when a reap job found the environment expired and destroyed it.
	reaped bool
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
func (d *delivery) call(ctx context.Context, p providers.Provider, s *providers.Spec, rep *eventReporter) (r result, err error) {
	defer func() {
		if v := recover(); v != nil {
			d.log.Error().Str("panic", rep.redact(fmt.Sprint(v))).Str("stack", rep.redact(string(debug.Stack()))).Msg("provider panicked")
			r, err = result{}, &panicError{provider: p.Name(), kind: d.job.Kind}
		}
	}()
	r, err = d.callProvider(ctx, p, s, rep)
	if err != nil {
		return r, err
	}
	switch {
	case d.job.Kind == jobs.KindDeploy && r.deployment == nil,
		d.job.Kind == jobs.KindStatus && r.status == nil,
		d.job.Kind == jobs.KindPlan && r.plan == nil:
		return result{}, fmt.Errorf("provider %s: %s %w", p.Name(), d.job.Kind, errNoResult)
	}
	return r, nil
}

func (d *delivery) callProvider(ctx context.Context, p providers.Provider, s *providers.Spec, rep providers.Reporter) (result, error) {
	var r result
	var err error
	switch d.job.Kind {
	case jobs.KindDeploy:
		r.deployment, err = p.Deploy(ctx, s, rep)
	case jobs.KindDestroy:
		err = p.Destroy(ctx, s)
	case jobs.KindStop:
		if err = p.Stop(ctx, s); err == nil {
			r.status, err = p.Status(ctx, s)
		}
	case jobs.KindStart:
		if err = p.Start(ctx, s); err == nil {
			r.status, err = p.Status(ctx, s)
		}
	case jobs.KindStatus:
		r.status, err = p.Status(ctx, s)
	case jobs.KindPlan:
		r.plan, err = p.Plan(ctx, s)
	case jobs.KindReap:
		r.reaped, err = d.reap(ctx, p, s, rep)
	default:
		err = fmt.Errorf("kind %q: %w", d.job.Kind, providers.ErrUnsupported)
	}
	return r, err
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
