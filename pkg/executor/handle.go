package executor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// finalTimeout bounds the publishes and acks that settle a job; they run even when the job's
// context was cancelled by a drain.
const finalTimeout = 5 * time.Second

var errLeaseLost = errors.New("environment lease lost while the job ran")

// errNotOwner cancels an operation whose job's events another delivery is numbering
// (events.ErrSeqTaken): that delivery speaks for the job now, this one must fall silent.
var errNotOwner = errors.New("another delivery of the job is publishing its events")

// delivery is one message being handled.
type delivery struct {
	e       *Executor
	msg     jetstream.Msg
	meta    *jetstream.MsgMetadata
	job     *jobs.Job
	log     zerolog.Logger
	em      *events.Emitter
	attempt int // this attempt's number, 1-based
	// red redacts the job's secret values (and their encoded forms) from event messages and
	// log fields; nil until the secrets are known.
	red *secrets.Redactor
}

func (d *delivery) redact(s string) string { return d.red.Redact(s) }

// redactErr returns err with its text redacted (errors.Is/As still see the original).
func (d *delivery) redactErr(err error) error {
	if err == nil || d.red == nil {
		return err
	}
	if _, ok := err.(*redactedError); ok {
		return err
	}
	return &redactedError{msg: d.red.Redact(err.Error()), err: err}
}

// redactData redacts the free-text fields of an event that can quote a provider's words.
func (d *delivery) redactData(data events.Data) events.Data {
	if d.red == nil {
		return data
	}
	switch v := data.(type) {
	case *events.Failed:
		c := *v
		c.Message = d.redact(c.Message)
		c.LastLines = make([]string, len(v.LastLines))
		for i, l := range v.LastLines {
			c.LastLines[i] = d.redact(l)
		}
		return &c
	case *events.Retrying:
		c := *v
		c.Message = d.redact(c.Message)
		return &c
	case *events.Deadlettered:
		c := *v
		c.Message = d.redact(c.Message)
		return &c
	}
	return data
}

func (e *Executor) handle(ctx context.Context, msg jetstream.Msg) {
	start := time.Now()
	e.cfg.Metrics.flight(1)
	defer e.cfg.Metrics.flight(-1)
	meta, err := msg.Metadata()
	if err != nil {
		// Not a JetStream message: nothing can be acked; the server will not redeliver it.
		e.log.Error().Err(err).Msg("message without JetStream metadata")
		return
	}
	if meta.NumDelivered > 1 {
		e.cfg.Metrics.redelivery()
	}
	d := &delivery{e: e, msg: msg, meta: meta, log: e.log}
	e.track(d)
	defer e.untrack(d)
	kind, outcome := d.processRecovered(ctx)
	e.cfg.Metrics.observe(kind, outcome, time.Since(start).Seconds())
}

// processRecovered is process that survives a panic in the executor's own code (provider
// panics are caught closer, in call): the job fails with code internal and the executor keeps
// serving. Deferred releases (lease, local claim) have run by the time the panic reaches here.
func (d *delivery) processRecovered(ctx context.Context) (kind, outcome string) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		// The value is not logged: it may quote a job's secrets. Its type and the stack are.
		d.log.Error().Str("panic_type", fmt.Sprintf("%T", v)).Str("stack", string(debug.Stack())).Msg("job handler panicked")
		kind, outcome = d.refuse(ctx, errHandlerPanic)
	}()
	return d.process(ctx)
}

// errHandlerPanic fails a job whose handling panicked in the executor itself.
var errHandlerPanic = errors.New("internal error: the executor failed while handling this job and abandoned it; its log has the details")

func settleCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finalTimeout)
}

// emit publishes d's next event; it reports failure to the caller, which hands the job back.
func (d *delivery) emit(ctx context.Context, data events.Data) error {
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	data = d.redactData(data)
	_, err := d.em.Emit(sctx, data)
	switch {
	case errors.Is(err, events.ErrSeqTaken):
		// Every caller hands the job back without another word on an error, which is what
		// a delivery that lost the job's numbering to another one must do.
		d.log.Info().Err(err).Str("event", string(data.EventType())).Msg("another delivery owns this job's events; falling silent")
	case err != nil:
		d.log.Warn().Err(err).Str("event", string(data.EventType())).Msg("publish event")
	}
	return err
}

// handBack naks the message with delay (0: at once) after a failure to talk to NATS.
func (d *delivery) handBack(delay time.Duration, why error) (string, string) {
	d.log.Warn().Err(d.redactErr(why)).Dur("delay", delay).Msg("handing job back")
	var err error
	if delay > 0 {
		err = d.msg.NakWithDelay(delay)
	} else {
		err = d.msg.Nak()
	}
	if err != nil {
		d.log.Warn().Err(err).Msg("nak failed; the job comes back after the ack wait")
	}
	return d.kind(), OutcomeHandedBack
}

func (d *delivery) kind() string {
	if d.job == nil {
		return ""
	}
	return string(d.job.Kind)
}

func (d *delivery) ack(ctx context.Context) error {
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	return d.msg.DoubleAck(sctx)
}

func (d *delivery) term(reason string) {
	if err := d.msg.TermWithReason(reason); err != nil {
		d.log.Warn().Err(err).Msg("term failed")
	}
}

func (d *delivery) process(ctx context.Context) (string, string) {
	e := d.e
	// With trusted signers nothing in an unverified message is believed, not even its job id:
	// its refusal is filed under RefusedID(stream sequence), which its publisher follows.
	if e.verifier != nil {
		h := d.msg.Headers()
		if err := e.verifier.Verify(d.msg.Subject(), d.msg.Data(), h.Get(jobs.HeaderSigner), h.Get(jobs.HeaderSignature)); err != nil {
			return d.refuse(ctx, err)
		}
	}
	j, err := jobs.Decode(d.msg.Data())
	d.job = j
	if err != nil {
		return d.refuse(ctx, err)
	}
	d.log = e.log.With().Str("job", j.ID).Str("kind", string(j.Kind)).Str("env", j.Env).
		Uint64("generation", j.Generation).Uint64("delivery", d.meta.NumDelivered).Logger()
	if !e.repoAllowed(j.Repo) {
		return d.refuse(ctx, fmt.Errorf("repository %q is not in this executor's allowed repositories", j.Repo))
	}
	h, err := e.readHistory(ctx, j.ID)
	if err != nil {
		return d.handBack(jitter(e.cfg.LeaseRetry), err)
	}
	if h.terminal != "" {
		return d.duplicate(ctx, h)
	}
	if d.em, err = events.NewEmitter(e.pub, j.ID, e.source, h.lastSeq); err != nil {
		return d.refuse(ctx, err)
	}
	d.attempt = h.attempts + 1
	if h.lastSeq == 0 {
		if err := d.emit(ctx, &events.Accepted{Worker: e.cfg.Worker, Attempt: d.attempt, Kind: j.Kind, Env: j.Env, Provider: j.Provider, Generation: j.Generation}); err != nil {
			return d.handBack(jitter(e.cfg.LeaseRetry), err)
		}
	}
	if !j.Kind.Mutates() {
		return d.start(ctx, h, nil)
	}
	// Everything that settles a mutating job happens under the environment's lease, even a
	// verdict that needs no provider (dead-lettered, deadline passed, unknown provider):
	// another delivery of the same job (a redelivery after a missed in-progress ack, a copy
	// queued twice) may still be running, and must not see its job terminated, nor its event
	// numbers taken, behind its back.
	//
	// One operation per environment in this process too: a second job of a busy env waits
	// like one that met another worker's lease.
	if holder, ok := e.claimLocal(j.Env, d.holder()); !ok {
		return d.leaseWait(ctx, &events.LeaseHeldError{Env: j.Env, Holder: holder})
	}
	defer e.releaseLocal(j.Env)
	lease, err := e.leases.Acquire(ctx, j.Env, d.holder(), e.cfg.LeaseTTL)
	var held *events.LeaseHeldError
	switch {
	case errors.As(err, &held):
		return d.leaseWait(ctx, held)
	case errors.Is(err, events.ErrInvalidLease):
		// No delivery of this job can ever take the lease: say so instead of looping.
		return d.fail(ctx, events.FailInternal, "executor "+e.cfg.Worker+" cannot lease environment "+j.Env+": "+err.Error(), nil)
	case err != nil:
		return d.handBack(jitter(e.cfg.LeaseRetry), err)
	}
	defer func() {
		sctx, cancel := settleCtx(ctx)
		defer cancel()
		if err := e.leases.Release(sctx, lease); err != nil {
			d.log.Warn().Err(err).Msg("release lease")
		}
	}()
	// Under the lease the history is final: a delivery that held it before may have finished
	// the job or numbered more events since the first read.
	if h, err = e.readHistory(ctx, j.ID); err != nil {
		return d.handBack(jitter(e.cfg.LeaseRetry), err)
	}
	if h.terminal != "" {
		return d.duplicate(ctx, h)
	}
	if d.em, err = events.NewEmitter(e.pub, j.ID, e.source, h.lastSeq); err != nil {
		return d.refuse(ctx, err)
	}
	d.attempt = h.attempts + 1
	// Newest wins before the deadline: a moot job is superseded, not failed.
	if out, done := d.supersededCheck(ctx); done {
		return d.kind(), out
	}
	return d.start(ctx, h, &lease)
}

// duplicate acks a job an earlier delivery finished (its ack was lost, or the job was queued
// twice).
func (d *delivery) duplicate(ctx context.Context, h history) (string, string) {
	d.log.Info().Str("terminal", string(h.terminal)).Msg("job already finished; acking duplicate")
	if err := d.ack(ctx); err != nil {
		d.log.Warn().Err(err).Msg("ack duplicate")
	}
	return d.kind(), OutcomeDuplicate
}

// start settles a job that cannot run (attempts used up, deadline passed, provider unknown)
// or runs it. For a mutating job the caller holds lease.
func (d *delivery) start(ctx context.Context, h history, lease *events.Lease) (string, string) {
	e, j := d.e, d.job
	if d.attempt > e.cfg.MaxAttempts {
		return d.deadletter(ctx, fmt.Sprintf("gave up after %d attempts", h.attempts))
	}
	if !j.Deadline.IsZero() && time.Now().After(j.Deadline) {
		return d.fail(ctx, events.FailDeadline, fmt.Sprintf("deadline %s passed before the job could start", j.Deadline.UTC().Format(time.RFC3339)), nil)
	}
	p, err := e.cfg.Registry.Get(j.Provider)
	if err != nil {
		return d.fail(ctx, events.FailInvalidJob, err.Error(), nil)
	}
	return d.run(ctx, p, lease)
}

// badRecordMessage says that env's record in sindri_envs cannot be read and what to do. done
// says whether the provider operation itself had succeeded.
func badRecordMessage(env string, err error, done bool) string {
	what := "the job was not run"
	if done {
		what = "the provider operation succeeded, but its result was not recorded"
	}
	return fmt.Sprintf("the record of environment %s in the %s bucket cannot be read (%v); %s. "+
		"Repair or delete the key (nats kv del %s %s), then run the job again", env, events.EnvsBucket, err, what, events.EnvsBucket, env)
}

// holder is unique per delivery, so a redelivery of the same job (ack wait expired while the
// first delivery still runs) can never share the first one's lease.
func (d *delivery) holder() string {
	return d.e.cfg.Worker + holderSep + d.job.ID + holderSep + strconv.FormatUint(d.meta.Sequence.Consumer, 10)
}

const holderSep = "/"

// sameJob reports whether a lease holder name (see holder) belongs to another delivery of d's
// job.
func (d *delivery) sameJob(holder string) bool {
	job, ok := holderJob(holder)
	return ok && job == d.job.ID
}

// holderJob returns the job id of a holder name. It reads from the right: the worker name
// may itself contain holderSep, the job id and the consumer sequence cannot.
func holderJob(holder string) (string, bool) {
	rest, seq, ok := cutLast(holder, holderSep)
	if !ok || seq == "" {
		return "", false
	}
	worker, job, ok := cutLast(rest, holderSep)
	if !ok || worker == "" || job == "" {
		return "", false
	}
	return job, true
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// supersededCheck acks the job with a superseded event when the env record says it is moot.
func (d *delivery) supersededCheck(ctx context.Context) (string, bool) {
	rec, _, err := d.e.envs.Get(ctx, d.job.Env)
	if errors.Is(err, events.ErrEnvNotFound) {
		return "", false // embedded mode forgets; the job itself is the newest we know
	}
	if errors.Is(err, events.ErrBadEnvRecord) {
		_, out := d.fail(ctx, events.FailInternal, badRecordMessage(d.job.Env, err, false), nil)
		return out, true
	}
	if err != nil {
		d.handBack(jitter(d.e.cfg.LeaseRetry), err)
		return OutcomeHandedBack, true
	}
	moot, reason := rec.Supersedes(d.job.Kind, d.job.Generation)
	if !moot {
		return "", false
	}
	d.log.Info().Str("reason", reason).Uint64("desired", rec.DesiredGeneration).Msg("superseded")
	if err := d.emit(ctx, &events.Superseded{Generation: d.job.Generation, DesiredGeneration: rec.DesiredGeneration, Closed: rec.Closed, Reason: reason}); err != nil {
		d.handBack(jitter(d.e.cfg.LeaseRetry), err)
		return OutcomeHandedBack, true
	}
	if err := d.ack(ctx); err != nil {
		d.log.Warn().Err(err).Msg("ack superseded")
	}
	return OutcomeSuperseded, true
}

func (d *delivery) leaseWait(ctx context.Context, held *events.LeaseHeldError) (string, string) {
	d.e.cfg.Metrics.leaseWait()
	delay := retryDelay(int(min(d.meta.NumDelivered, 6)), d.e.cfg.LeaseRetry, d.e.cfg.LeaseTTL)
	d.log.Debug().Str("holder", held.Holder).Dur("delay", delay).Msg("environment leased; requeueing")
	if d.sameJob(held.Holder) {
		// Another delivery of this very job runs: it owns the job's event sequence. Stay
		// silent, or our event could take the sequence number of its next one.
		if err := d.msg.NakWithDelay(delay); err != nil {
			d.log.Warn().Err(err).Msg("nak")
		}
		return d.kind(), OutcomeLeaseWait
	}
	_ = d.emit(ctx, &events.Retrying{
		Reason: events.RetryLeaseHeld, Message: "environment " + d.job.Env + " is busy with another job",
		Attempt: d.attempt - 1, MaxAttempts: d.e.cfg.MaxAttempts, Delay: jobs.Duration(delay),
	})
	if err := d.msg.NakWithDelay(delay); err != nil {
		d.log.Warn().Err(err).Msg("nak")
	}
	return d.kind(), OutcomeLeaseWait
}

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

// keepAlive sends in-progress acks and renews the lease until stopped, which the caller does
// only once the provider call has returned: a provider that runs its cleanup under
// context.WithoutCancel after opCtx ended (deadline, drain, lease trouble) still owns the
// environment, so the lease must outlive the operation's context. Renewals therefore run under
// context.WithoutCancel(opCtx).
//
// The operation is cancelled when the lease is lost (then keepAlive ends: the lease is
// somebody else's), and also when renewals keep failing until the lease is about to expire:
// past its expiry another worker may take the environment over, so this one must be stopping
// by then. In that second case renewals go on, since a lease nobody took over can still be
// renewed.
func (d *delivery) keepAlive(opCtx context.Context, lease *events.Lease, cancelOp context.CancelCauseFunc) (stop func()) {
	every := d.e.cfg.AckWait / 3
	if lease != nil {
		every = min(every, d.e.cfg.LeaseTTL/3)
	}
	ctx := context.WithoutCancel(opCtx)
	done := make(chan struct{})
	finished := make(chan struct{})
	expiring := false
	// renew renews the lease once; it reports false when the lease is lost and keepAlive must
	// end. tickAt is when the attempt was due: the margin is judged from there, not from when
	// a slow attempt gave up.
	renew := func(tickAt time.Time) bool {
		left := lease.Expires.Sub(tickAt)
		rctx, cancel := context.WithTimeout(ctx, every/3)
		nl, err := d.e.leases.Renew(rctx, *lease, d.e.cfg.LeaseTTL)
		cancel()
		switch {
		case err == nil:
			*lease = nl
		case errors.Is(err, events.ErrLeaseLost):
			d.log.Error().Err(err).Msg("lease lost; cancelling the operation")
			cancelOp(errLeaseLost)
			return false
		case left < every+every/3+every/2:
			// Had this attempt been kept as the last chance, the next one (due a period after
			// this one, bounded by a third of a period) could fail with less than half a
			// period left. Stop the operation now, while the lease still holds, and keep
			// trying to renew. With LeaseTTL = 3 periods one failed renewal is tolerated.
			if !expiring {
				expiring = true
				d.log.Error().Err(err).Time("expires", lease.Expires).Msg("cannot renew lease before it expires; cancelling the operation")
			}
			cancelOp(errLeaseLost)
		default:
			d.log.Warn().Err(err).Msg("renew lease; retrying")
		}
		return true
	}
	go func() {
		defer close(finished)
		// Steps between Acquire and the provider call (history, supersede check, spec,
		// started event) may have used part of the lease: when more than a period has gone,
		// renew before the provider runs rather than a period later.
		if lease != nil && time.Until(lease.Expires) < d.e.cfg.LeaseTTL-every {
			if !renew(time.Now()) {
				return
			}
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var tickAt time.Time
			select {
			case <-done:
				return
			case tickAt = <-t.C:
			}
			if err := d.msg.InProgress(); err != nil {
				d.log.Warn().Err(err).Msg("in-progress ack")
			}
			if lease != nil && !renew(tickAt) {
				return
			}
		}
	}()
	return func() { close(done); <-finished }
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

func (d *delivery) succeed(ctx context.Context, p providers.Provider, s *providers.Spec, r result, elapsed time.Duration) (string, string) {
	j := d.job
	ev := &events.Succeeded{Kind: j.Kind, Env: j.Env, Provider: j.Provider, Generation: j.Generation,
		Deployment: r.deployment, Status: r.status, Plan: r.plan, DurationMS: elapsed.Milliseconds()}
	if r.deployment != nil && r.deployment.Connection != nil {
		c := r.deployment.Connection
		ev.URL = firstNonEmpty(c.HTTPSURL, c.HTTPURL)
		ev.Connect = firstNonEmpty(c.SSHCommand, c.ExecCommand)
	}
	if ev.URL == "" && r.status != nil && r.status.State == providers.StateRunning {
		// start and status jobs: the running environment's URL, from its addresses.
		ev.URL = statusURL(r.status)
	}
	if j.Kind.Mutates() {
		err := d.recordSuccess(ctx, r, ev, s)
		switch {
		case errors.Is(err, events.ErrBadEnvRecord):
			return d.fail(ctx, events.FailInternal, badRecordMessage(j.Env, err, true), nil)
		case err != nil:
			// The work is done and idempotent; a later attempt repeats it cheaply and records
			// it. Counted as an attempt, so a record that can never be written ends the job
			// (dead-lettered) with the cause in every retrying event.
			return d.retry(ctx, providers.Transient(fmt.Errorf("the %s operation succeeded but its result could not be written to the environment record: %w", j.Kind, err)))
		}
	}
	if err := d.emit(ctx, ev); err != nil {
		return d.handBack(jitter(d.e.cfg.LeaseRetry), err)
	}
	if err := d.ack(ctx); err != nil {
		d.log.Warn().Err(err).Msg("ack; a redelivery will find the succeeded event and ack it")
	}
	d.log.Info().Dur("took", elapsed).Msg("job succeeded")
	return d.kind(), OutcomeSucceeded
}

// statusURL returns the first https address of st, else the first http one, else "".
func statusURL(st *providers.Status) string {
	var httpURL string
	for _, a := range st.Addresses {
		switch a.Type {
		case providers.AddressHTTPS:
			return a.Value
		case providers.AddressHTTP:
			if httpURL == "" {
				httpURL = a.Value
			}
		}
	}
	return httpURL
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// recordSuccess writes the applied generation and observed state into the env record.
func (d *delivery) recordSuccess(ctx context.Context, r result, ev *events.Succeeded, s *providers.Spec) error {
	j := d.job
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	_, _, err := d.e.envs.Update(sctx, j.Env, func(rec *events.EnvRecord, _ bool) error {
		rec.Provider = j.Provider
		if j.Repo != "" {
			rec.Repo = j.Repo
		}
		if j.PR > 0 {
			rec.PR = j.PR
		}
		if j.SHA != "" {
			rec.SHA = j.SHA
		}
		rec.AppliedGeneration = max(rec.AppliedGeneration, j.Generation)
		rec.DesiredGeneration = max(rec.DesiredGeneration, j.Generation)
		rec.LastJobID = j.ID
		rec.LastStatus = jobs.StatusSucceeded
		switch j.Kind {
		case jobs.KindDeploy:
			rec.State = r.deployment.State
			rec.Handle = r.deployment.Handle
			rec.Connection = r.deployment.Connection
			rec.URL = ev.URL
			if exp, err := strconv.ParseInt(s.Labels[providers.LabelExpiresAt], 10, 64); err == nil {
				rec.ExpiresAt = time.Unix(exp, 0).UTC()
			}
		case jobs.KindDestroy, jobs.KindReap:
			if j.Kind == jobs.KindReap && !r.reaped {
				return nil
			}
			rec.State = providers.StateNotDeployed
			rec.Handle, rec.URL, rec.Connection = "", "", nil
		case jobs.KindStop, jobs.KindStart:
			if r.status != nil {
				rec.State = r.status.State
			}
		}
		return nil
	})
	return err
}

// recordFailure notes a permanently failed mutating job in the env record, best effort.
func (d *delivery) recordFailure(ctx context.Context) {
	if !d.job.Kind.Mutates() {
		return
	}
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	if _, _, err := d.e.envs.Update(sctx, d.job.Env, func(rec *events.EnvRecord, _ bool) error {
		rec.LastJobID = d.job.ID
		rec.LastStatus = jobs.StatusFailed
		return nil
	}); err != nil {
		d.log.Warn().Err(err).Msg("record failure")
	}
}

// retry hands a transiently failed attempt back with backoff, or dead-letters it after the
// last attempt.
func (d *delivery) retry(ctx context.Context, cause error) (string, string) {
	if d.attempt >= d.e.cfg.MaxAttempts {
		d.recordFailure(ctx)
		return d.deadletter(ctx, fmt.Sprintf("attempt %d of %d failed: %v", d.attempt, d.e.cfg.MaxAttempts, cause))
	}
	delay := retryDelay(d.attempt, d.e.cfg.RetryBase, d.e.cfg.RetryMax)
	cause = d.redactErr(cause)
	d.log.Warn().Err(cause).Int("attempt", d.attempt).Dur("delay", delay).Msg("transient failure; retrying")
	if err := d.emit(ctx, &events.Retrying{Reason: events.RetryTransient, Message: cause.Error(), Attempt: d.attempt, MaxAttempts: d.e.cfg.MaxAttempts, Delay: jobs.Duration(delay)}); err != nil {
		return d.handBack(delay, err)
	}
	if err := d.msg.NakWithDelay(delay); err != nil {
		d.log.Warn().Err(err).Msg("nak")
	}
	return d.kind(), OutcomeRetrying
}

func (d *delivery) deadletter(ctx context.Context, msg string) (string, string) {
	d.log.Error().Str("reason", d.redact(msg)).Msg("dead-lettering job")
	if err := d.emit(ctx, &events.Deadlettered{Attempts: d.attempt, Message: msg}); err != nil {
		return d.handBack(jitter(d.e.cfg.LeaseRetry), err)
	}
	d.term("deadlettered")
	return d.kind(), OutcomeDeadlettered
}

func (d *delivery) fail(ctx context.Context, code events.FailCode, msg string, last []string) (string, string) {
	d.log.Error().Str("code", string(code)).Str("reason", d.redact(msg)).Msg("job failed")
	if err := d.emit(ctx, &events.Failed{Code: code, Message: msg, Retryable: false, Attempt: d.attempt, LastLines: last}); err != nil {
		return d.handBack(jitter(d.e.cfg.LeaseRetry), err)
	}
	d.term(string(code))
	return d.kind(), OutcomeFailed
}

// refuse terminates a job that cannot be run at all (malformed, unknown version, invalid,
// not allowed) with a failed event, under the job's id when it could be read.
func (d *delivery) refuse(ctx context.Context, cause error) (string, string) {
	code := events.FailInternal
	switch {
	case errors.Is(cause, jobs.ErrUnknownVersion):
		code = events.FailUnknownVersion
	case errors.Is(cause, jobs.ErrMalformed):
		code = events.FailMalformed
	case errors.Is(cause, jobs.ErrInvalid):
		code = events.FailInvalidJob
	case errors.Is(cause, jobs.ErrSignature), d.job != nil && cause != nil && !d.e.repoAllowed(d.job.Repo):
		code = events.FailUnauthorized
	}
	refusedID := events.RefusedID(d.meta.Sequence.Stream)
	id := refusedID
	if d.job != nil {
		if _, err := events.EventsSubject(d.job.ID); err == nil {
			id = d.job.ID
		}
	}
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	last, err := events.LastSeq(sctx, d.e.js, id)
	if err != nil {
		return d.handBack(jitter(d.e.cfg.LeaseRetry), err)
	}
	if code == events.FailUnauthorized && id != refusedID && last > 0 {
		// An unauthorized job's id is only a claim: when that id already has events it names
		// someone else's job, whose history this refusal must not end. It is reported under
		// its own id instead.
		id, last = refusedID, 0
		if last, err = events.LastSeq(sctx, d.e.js, id); err != nil {
			return d.handBack(jitter(d.e.cfg.LeaseRetry), err)
		}
	}
	d.log = d.log.With().Str("job", id).Logger()
	d.log.Error().Err(cause).Str("code", string(code)).Msg("refusing job")
	if d.em, err = events.NewEmitter(d.e.pub, id, d.e.source, last); err != nil {
		d.term(string(code))
		return d.kind(), OutcomeRefused
	}
	if d.attempt == 0 {
		d.attempt = 1
	}
	if err := d.emit(ctx, &events.Failed{Code: code, Message: cause.Error(), Attempt: d.attempt}); err != nil {
		return d.handBack(jitter(d.e.cfg.LeaseRetry), err)
	}
	d.term(string(code))
	return d.kind(), OutcomeRefused
}

// redactedError is a provider error whose text has the job's secret values redacted; errors.Is
// and errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
