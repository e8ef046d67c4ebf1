package executor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// finalTimeout bounds the publishes and acks that settle a job; they run even when the job's
// context was cancelled by a drain.
const finalTimeout = 5 * time.Second

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

// ack acks the message once its job's terminal event is stored. It does not wait for the
// server's confirmation (a double ack): an ack that is lost brings the job back after the ack
// wait, and that delivery finds the terminal event and acks it (a duplicate). Not waiting
// frees the job's slot a round trip earlier; Run flushes what is still buffered when it
// returns.
func (d *delivery) ack(context.Context) error {
	return d.msg.Ack()
}

func (d *delivery) term(reason string) {
	if err := d.msg.TermWithReason(reason); err != nil {
		d.log.Warn().Err(err).Msg("term failed")
	}
}

func (d *delivery) succeed(ctx context.Context, p providers.Provider, s *providers.Spec, r result, elapsed time.Duration) (string, string) {
	j := d.job
	ev := &events.Succeeded{Kind: j.Kind, Env: j.Env, Provider: j.Provider, Generation: j.Generation,
		Deployment: r.deployment, Status: r.status, Plan: r.plan, Image: r.image, Images: r.images,
		DurationMS: elapsed.Milliseconds()}
	if r.deployment != nil && r.deployment.Connection != nil {
		c := r.deployment.Connection
		ev.URL = firstNonEmpty(c.HTTPSURL, c.HTTPURL)
		ev.Connect = firstNonEmpty(c.SSHCommand, c.ExecCommand)
	}
	if ev.URL == "" && r.status != nil && r.status.State == providers.StateRunning {
		// start and status jobs: the running environment's URL, from its addresses.
		ev.URL = statusURL(r.status)
	}
	if j.Kind.Mutates() && !j.Kind.Image() {
		err := d.recordSuccess(ctx, r, ev, s)
		switch {
		case errors.Is(err, events.ErrBadEnvRecord):
			return d.fail(ctx, events.FailInternal, badRecordMessage(j.Env, err, true), nil)
		case err != nil:
			// The work is done and idempotent; a later attempt repeats it cheaply and records
			// it. Counted as an attempt, so a record that can never be written ends the job
			// (dead-lettered) with the cause in every retrying event.
			return d.retry(ctx, providers.Transient(fmt.Errorf("the %s operation succeeded but its result could not be written to the environment record: %w", j.Kind, err)), s)
		}
	}
	ev.Cost = d.costReport(p)
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
	update := d.e.envs.Update
	if d.recRead {
		// The supersede check read the record under the lease: write from there, and read
		// again only when somebody (an action bumping the desired generation) wrote it since.
		update = func(ctx context.Context, env string, fn func(*events.EnvRecord, bool) error) (*events.EnvRecord, uint64, error) {
			return d.e.envs.UpdateFrom(ctx, env, d.rec, d.recRev, fn)
		}
	}
	_, _, err := update(sctx, j.Env, func(rec *events.EnvRecord, _ bool) error {
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
			// A handle is a hint (labels win): one that quoted a secret value is kept redacted,
			// and the provider then finds the environment by its labels.
			rec.Handle = d.redact(r.deployment.Handle)
			// The record is as public as the events: what it keeps is the redacted form.
			red, _ := d.redactData(ev).(*events.Succeeded)
			rec.Connection, rec.URL = nil, red.URL
			if red.Deployment != nil {
				rec.Connection = red.Deployment.Connection
			}
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
		d.recordUsage(rec, d.spend)
		d.recordIdle(rec, s)
		return nil
	})
	return err
}

// recordFailure notes a permanently failed (or abandoned) mutating job in the env record, best
// effort. A *providers.PartialError's leftovers are recorded as state error with their handle
// and the environment's expiry, so that close-destroy and the reaper find them.
func (d *delivery) recordFailure(ctx context.Context, cause error, s *providers.Spec) {
	if !d.job.Kind.Mutates() || d.job.Kind.Image() {
		return
	}
	var partial *providers.PartialError
	isPartial := errors.As(cause, &partial)
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	if _, _, err := d.e.envs.Update(sctx, d.job.Env, func(rec *events.EnvRecord, _ bool) error {
		rec.LastJobID = d.job.ID
		rec.LastStatus = jobs.StatusFailed
		if !isPartial {
			return nil
		}
		rec.Provider = d.job.Provider
		rec.State = providers.StateError
		if partial.Handle != "" {
			rec.Handle = d.redact(partial.Handle)
		}
		if rec.ExpiresAt.IsZero() && s != nil {
			if exp, err := strconv.ParseInt(s.Labels[providers.LabelExpiresAt], 10, 64); err == nil {
				rec.ExpiresAt = time.Unix(exp, 0).UTC()
			}
		}
		return nil
	}); err != nil {
		d.log.Warn().Err(err).Msg("record failure")
	}
}

// retry hands a transiently failed attempt back with backoff, no sooner than the platform
// asked (Retry-After), or dead-letters it after the last attempt. A wait the platform asks
// for that would pass the job's deadline fails the job at once.
func (d *delivery) retry(ctx context.Context, cause error, s *providers.Spec) (string, string) {
	if d.attempt >= d.e.cfg.MaxAttempts {
		d.recordFailure(ctx, cause, s)
		return d.deadletter(ctx, fmt.Sprintf("attempt %d of %d failed: %v", d.attempt, d.e.cfg.MaxAttempts, cause))
	}
	delay := retryDelay(d.attempt, d.e.cfg.RetryBase, d.e.cfg.RetryMax)
	cause = d.redactErr(cause)
	if after := providers.RetryAfterOf(cause); after > delay {
		if dl := d.job.Deadline; !dl.IsZero() && time.Now().Add(after).After(dl) {
			d.recordFailure(ctx, cause, s)
			return d.fail(ctx, events.FailDeadline, fmt.Sprintf("the platform asked to wait %s before a retry, past the job's deadline %s: %v", after.Round(time.Second), dl.UTC().Format(time.RFC3339), cause), nil)
		}
		delay = after
	}
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
	if d.job != nil && jobs.ValidID(d.job.ID) {
		// Only a well-formed id is used: anything else may be no subject the server accepts
		// (the refusal could never be published) or none its sender can follow.
		id = d.job.ID
	}
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	last, err := events.LastSeq(sctx, d.e.js, id)
	if err != nil {
		return d.handBack(jitter(d.e.cfg.LeaseRetry), err)
	}
	if code != events.FailInternal && id != refusedID && last > 0 {
		// The id of a job that could not be read or was not allowed is only a claim: when that
		// id already has events it names another job (or this message's own earlier refusal),
		// whose history this refusal must not extend past its end. It is reported under its
		// own id instead. An internal failure is this job's own, mid-way through its events.
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
