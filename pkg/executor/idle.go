package executor

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// IdleRules are the idle stop's rules, shared by every path that finds idle environments: the
// executor's reaper and the scheduled reap workflow (docs/cost.md).
type IdleRules struct {
	// Idle is the finder's own idle time (the executor's cost.idle_stop; 0 for the reap
	// workflow, which knows only what records say). A record's own IdleAfter shortens it.
	Idle time.Duration
	// CanStop reports whether a provider can stop and start; only those are idle-stopped.
	CanStop func(provider string) bool
	// Traffic returns the provider's traffic counter, or nil when it reports none (nil: none
	// does).
	Traffic func(provider string) providers.TrafficReporter
	// Extender returns the provider's timeout keep-alive, or nil when it has none (nil: none
	// has). Due extends the timeout of an environment that is not idle, and never of an idle
	// one.
	Extender func(provider string) providers.TimeoutExtender
	// RequestedBy names the finder in the stop jobs it queues.
	RequestedBy string
}

// errIdleSkip stops the record update of an environment whose idle stop is pending or that is
// no longer idle.
var errIdleSkip = errors.New("idle stop pending or no longer idle")

// After is the idle time that applies to r: the shortest of the rules' and the record's own.
func (ir IdleRules) After(r *events.EnvRecord) time.Duration {
	return cost.Shortest(ir.Idle, r.IdleAfter())
}

// Deadline is when r is stopped for idleness (its last activity plus its idle time), or zero
// when it never is as it stands: not running, closed, without a last activity or provider, on
// a provider that cannot stop and start, or with no idle time.
func (ir IdleRules) Deadline(r *events.EnvRecord) time.Time {
	idle := ir.After(r)
	if idle <= 0 || r.State != providers.StateRunning || r.Closed || r.Provider == "" || r.LastActivity.IsZero() || ir.CanStop == nil || !ir.CanStop(r.Provider) {
		return time.Time{}
	}
	return r.LastActivity.Add(idle)
}

// Due reports whether r is idle at now and its stop not yet queued. An environment on a
// provider that reports traffic is read first: traffic since the last read is activity (the
// record's last activity moves to now, and it is not due). One that is not idle, on a
// provider with a timeout keep-alive, gets its timeout extended. A traffic read or extension
// that fails is returned with due false; the caller tries again on its next pass.
func (ir IdleRules) Due(ctx context.Context, envs *events.EnvStore, r *events.EnvRecord, now time.Time) (bool, error) {
	d := ir.Deadline(r)
	if d.IsZero() || r.IdleStopPending() {
		return false, nil
	}
	moved, err := ir.observeTraffic(ctx, envs, r, now)
	if err != nil {
		return false, err
	}
	if moved || now.Before(d) {
		return false, ir.keepAlive(ctx, r)
	}
	return true, nil
}

// keepAlive extends the timeout of r, which is not idle, on a provider that has a keep-alive.
func (ir IdleRules) keepAlive(ctx context.Context, r *events.EnvRecord) error {
	if ir.Extender == nil {
		return nil
	}
	ext := ir.Extender(r.Provider)
	if ext == nil {
		return nil
	}
	_, err := ext.ExtendTimeout(ctx, specOf(r))
	return err
}

// specOf is the Spec that names r's environment for the calls the idle pass makes (no config):
// its env and repository labels, and its recorded handle as a hint.
func specOf(r *events.EnvRecord) *providers.Spec {
	labels := map[string]string{providers.LabelEnv: r.Env}
	if r.Repo != "" {
		labels[providers.LabelRepo] = r.Repo
	}
	s := &providers.Spec{Env: r.Env, Labels: labels}
	if h, err := providers.ParseHandle(r.Handle); err == nil && r.Handle != "" {
		s.Handle = h // a hint; an unreadable one leaves the provider to look by labels
	}
	return s
}

// TrafficNoise is the least growth of an environment's inbound byte count between two reads
// that counts as traffic: less is background (ARP, neighbour discovery on a shared network),
// which must not keep an environment awake for ever. One HTTP request with its TCP handshake
// is above it.
const TrafficNoise = 512

// observeTraffic reads the traffic counter of r's provider, when it has one, and keeps it in
// the record; it reports whether the count grew by TrafficNoise or more since the last read at
// the same applied generation. The first read after a job only sets the baseline (the job
// itself was activity), and so does a count that went down (a container restarted by its
// restart policy).
func (ir IdleRules) observeTraffic(ctx context.Context, envs *events.EnvStore, r *events.EnvRecord, now time.Time) (bool, error) {
	if ir.Traffic == nil {
		return false, nil
	}
	tr := ir.Traffic(r.Provider)
	if tr == nil {
		return false, nil
	}
	rx, err := tr.InboundBytes(ctx, specOf(r))
	if err != nil {
		return false, err
	}
	moved := false
	_, _, err = envs.Update(ctx, r.Env, func(cur *events.EnvRecord, _ bool) error {
		if cur.AppliedGeneration != r.AppliedGeneration || cur.State != providers.StateRunning {
			return errIdleSkip // a job ran since the listing: it was activity, and sets no baseline
		}
		moved = cur.TrafficGeneration == cur.AppliedGeneration && rx >= cur.TrafficRx+TrafficNoise
		if moved {
			cur.LastActivity = now.UTC()
		}
		cur.TrafficRx, cur.TrafficGeneration = rx, cur.AppliedGeneration
		return nil
	})
	if errors.Is(err, errIdleSkip) {
		return true, nil
	}
	return moved, err
}

// QueueIdleStop queues the idle stop of r: a stop job with trigger schedule.idle that bumps the
// environment's desired generation (it outranks the jobs queued before it; a push queued after
// it supersedes it) and runs under the environment's lease like any stop. The record marks it
// pending, so no later pass bumps or queues it again. It returns the job and its stream
// sequence; queued is false when the stop was pending already (then no job is returned) or
// JetStream held it (a duplicate).
func (ir IdleRules) QueueIdleStop(ctx context.Context, envs *events.EnvStore, pub *events.Publisher, r *events.EnvRecord) (j *jobs.Job, seq uint64, queued bool, err error) {
	last := r.LastActivity
	rec, _, err := envs.Update(ctx, r.Env, func(cur *events.EnvRecord, _ bool) error {
		if cur.IdleStopPending() || !cur.LastActivity.Equal(last) || cur.State != providers.StateRunning {
			return errIdleSkip
		}
		cur.DesiredGeneration++
		cur.IdleStopFor, cur.IdleStopGeneration = cur.LastActivity, cur.DesiredGeneration
		return nil
	})
	switch {
	case errors.Is(err, errIdleSkip):
		if rec, _, err = envs.Get(ctx, r.Env); err != nil || !rec.IdleStopPending() {
			return nil, 0, false, err
		}
	case err != nil:
		return nil, 0, false, err
	}
	if j, err = jobs.New(jobs.KindStop, rec.Env, rec.Provider); err != nil {
		return nil, 0, false, err
	}
	j.Generation, j.Repo, j.PR, j.Trigger, j.RequestedBy = rec.IdleStopGeneration, rec.Repo, rec.PR, TriggerIdle, ir.RequestedBy
	key := jobs.IdempotencyKey(jobs.IdempotencyInput{
		Repo: rec.Repo, Env: rec.Env, Kind: jobs.KindStop, Trigger: TriggerIdle,
		Delivery: "idle/" + strconv.FormatInt(rec.IdleStopFor.UnixNano(), 10),
	})
	seq, dup, err := pub.PublishJobSeq(ctx, j, key)
	if err != nil {
		return nil, 0, false, err
	}
	return j, seq, !dup, nil
}
