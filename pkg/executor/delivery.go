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

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

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
	// rec is the environment's record as the supersede check read it under the lease (nil
	// when that check did not run or found none), reused for the handle; recRev is its
	// revision (0: none) and recRead says that the check read it.
	rec     *events.EnvRecord
	recRev  uint64
	recRead bool
	// provider is the job subject's provider token, the metrics' provider label.
	provider string
	// spend is the job's cost check (nil: none ran).
	spend *spend
	// usage is the environment's usage as recordSuccess wrote it (nil: not written).
	usage *cost.Usage
}

func (e *Executor) handle(ctx context.Context, msg jetstream.Msg) {
	start := time.Now()
	// The provider is the subject's last token: known even for a message that is no job.
	provider := strings.TrimPrefix(msg.Subject(), events.JobsSubjectPrefix)
	e.cfg.Metrics.flight(provider, 1)
	defer e.cfg.Metrics.flight(provider, -1)
	meta, err := msg.Metadata()
	if err != nil {
		// Not a JetStream message: nothing can be acked; the server will not redeliver it.
		e.log.Error().Err(err).Msg("message without JetStream metadata")
		return
	}
	if meta.NumDelivered > 1 {
		e.cfg.Metrics.redelivery(provider)
	}
	d := &delivery{e: e, msg: msg, meta: meta, log: e.log, provider: provider}
	e.track(d)
	defer e.untrack(d)
	kind, outcome := d.processRecovered(ctx)
	e.cfg.Metrics.observe(provider, kind, outcome, time.Since(start).Seconds())
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

func (d *delivery) kind() string {
	if d.job == nil {
		return ""
	}
	return string(d.job.Kind)
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
	h, fresh, err := d.acceptFresh(ctx)
	if err != nil {
		return d.handBack(jitter(e.cfg.LeaseRetry), err)
	}
	if !fresh {
		var kind, out string
		var ok bool
		if h, kind, out, ok = d.resume(ctx); !ok {
			return kind, out
		}
		if h.lastSeq == 0 {
			if err := d.emit(ctx, d.accepted()); err != nil {
				return d.handBack(jitter(e.cfg.LeaseRetry), err)
			}
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
	key := j.Kind.LeaseKey(j.Env)
	if holder, ok := e.claimLocal(key, d.holder()); !ok {
		return d.leaseWait(ctx, &events.LeaseHeldError{Env: key, Holder: holder})
	}
	defer e.releaseLocal(key)
	lease, err := e.leases.Acquire(ctx, key, d.holder(), e.cfg.LeaseTTL)
	var held *events.LeaseHeldError
	switch {
	case errors.As(err, &held):
		return d.leaseWait(ctx, held)
	case errors.Is(err, events.ErrInvalidLease):
		// No delivery of this job can ever take the lease: say so instead of looping.
		return d.fail(ctx, events.FailInternal, "executor "+e.cfg.Worker+" cannot lease "+key+": "+err.Error(), nil)
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
	// A delivery that held the lease before may have finished the job or numbered more
	// events since the first read. The emitter's next publish is conditional on the job's
	// last event being the one it knows (events.Emitter.Conditional), so such an event makes
	// it fail with ErrSeqTaken before anything is decided, and the job is handed back. Without
	// that condition the history is read again: under the lease it is final.
	if !d.em.Conditional() {
		var kind, out string
		var ok bool
		if h, kind, out, ok = d.resume(ctx); !ok {
			return kind, out
		}
	}
	// Newest wins before the deadline: a moot job is superseded, not failed. Images have no
	// environment record to say so.
	if !j.Kind.Image() {
		if out, done := d.supersededCheck(ctx); done {
			return d.kind(), out
		}
	}
	return d.start(ctx, h, &lease)
}

// resume reads the job's history and numbers this delivery's events after it (conditional on
// the last event read staying the last one). When the history cannot be read (the job is
// handed back) or the job is finished (a duplicate, acked) it settles the job and returns
// ok false with the outcome.
func (d *delivery) resume(ctx context.Context) (h history, kind, outcome string, ok bool) {
	e, j := d.e, d.job
	h, err := e.readHistory(ctx, j.ID)
	if err != nil {
		kind, outcome = d.handBack(jitter(e.cfg.LeaseRetry), err)
		return h, kind, outcome, false
	}
	if h.terminal != "" {
		kind, outcome = d.duplicate(ctx, h)
		return h, kind, outcome, false
	}
	if d.em, err = events.NewEmitterAfter(e.pub, j.ID, e.source, h.lastSeq, h.lastStream); err != nil {
		kind, outcome = d.refuse(ctx, err)
		return h, kind, outcome, false
	}
	d.attempt = h.attempts + 1
	return h, "", "", true
}

// accepted is the job's accepted event for this attempt.
func (d *delivery) accepted() *events.Accepted {
	j := d.job
	return &events.Accepted{Worker: d.e.cfg.Worker, Attempt: d.attempt, Kind: j.Kind, Env: j.Env, Provider: j.Provider, Generation: j.Generation,
		Repo: j.Repo, PR: j.PR, Trigger: j.Trigger, RequestedBy: j.RequestedBy}
}

// acceptFresh publishes the accepted event of a job's first delivery without reading the
// job's history first: the publish is conditional on the job having no events at all, which
// JetStream checks atomically (events.NewEmitterAfter with nothing stored). fresh reports
// that it was published and h is the history it leaves. When the job has events after all (a
// copy of it ran, or it was refused under its id) nothing is published and fresh is false:
// the caller reads the history as for a redelivery. Any other error hands the job back.
func (d *delivery) acceptFresh(ctx context.Context) (h history, fresh bool, err error) {
	if d.meta.NumDelivered != 1 {
		return history{}, false, nil
	}
	em, err := events.NewEmitterAfter(d.e.pub, d.job.ID, d.e.source, 0, 0)
	if err != nil {
		return history{}, false, nil // the reading path reports a bad id
	}
	d.em, d.attempt = em, 1
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	_, err = em.Emit(sctx, d.accepted())
	switch {
	case err == nil:
		return history{lastSeq: 1}, true, nil
	case errors.Is(err, events.ErrSeqTaken):
		d.log.Debug().Msg("first delivery of a job that has events already; reading its history")
		d.em, d.attempt = nil, 0
		return history{}, false, nil
	default:
		d.log.Warn().Err(err).Msg("publish accepted event")
		return history{}, false, err
	}
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
	op, ok := operations[j.Kind]
	if !ok {
		return d.fail(ctx, events.FailInvalidJob, fmt.Sprintf("executor %s cannot run jobs of kind %s", e.cfg.Worker, j.Kind), nil)
	}
	if op.supported != nil && !op.supported(p) {
		return d.fail(ctx, events.FailUnsupported, fmt.Sprintf("provider %s %s: %s is not supported", p.Name(), op.unsupported, j.Kind), nil)
	}
	return d.run(ctx, op, p, lease)
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
	rec, rev, err := d.e.envs.Get(ctx, d.job.Env)
	if errors.Is(err, events.ErrEnvNotFound) {
		d.recRead = true
		return "", false // embedded mode forgets; the job itself is the newest we know
	}
	d.rec = rec
	d.recRev, d.recRead = rev, err == nil
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
	d.e.cfg.Metrics.leaseWait(d.provider)
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
