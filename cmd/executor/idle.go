package main

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// errIdleSkip stops the record update of an environment whose idle stop is pending or that is
// no longer idle.
var errIdleSkip = errors.New("idle stop pending or no longer idle")

// idleOnce queues a stop job (trigger schedule.idle) for each running environment that saw no
// job for idle, on a provider that can stop and start (canStop), and returns how many it
// queued. The stop outranks the jobs queued before it, and a push queued after it supersedes
// it, as any newer job does; it runs under the environment's lease like any stop. Errors of
// single environments are logged and returned joined.
func idleOnce(ctx context.Context, envs *events.EnvStore, pub *events.Publisher, now time.Time, idle time.Duration, canStop func(string) bool, log zerolog.Logger) (int, error) {
	return queueEach(ctx, envs, "idle stop", log,
		func(r *events.EnvRecord) bool {
			d := idleDeadline(r, idle, canStop)
			return !d.IsZero() && !now.Before(d)
		},
		func(r *events.EnvRecord) (bool, error) { return idleStopEnv(ctx, envs, pub, r) })
}

// idleDeadline is when the reaper's idle pass stops r (its last activity plus idle), or zero
// when it never will as r stands: not running, closed, without a last activity or provider, on
// a provider that cannot stop and start (canStop), or with the idle stop off (idle <= 0). The
// idle pass and the web view's idle deadline both use it.
func idleDeadline(r *events.EnvRecord, idle time.Duration, canStop func(string) bool) time.Time {
	if idle <= 0 || r.State != providers.StateRunning || r.Closed || r.Provider == "" || r.LastActivity.IsZero() || !canStop(r.Provider) {
		return time.Time{}
	}
	return r.LastActivity.Add(idle)
}

// idleStopEnv queues the idle stop of one environment; queued is false when it was pending.
func idleStopEnv(ctx context.Context, envs *events.EnvStore, pub *events.Publisher, r *events.EnvRecord) (bool, error) {
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
			return false, err
		}
	case err != nil:
		return false, err
	}
	j, err := jobs.New(jobs.KindStop, rec.Env, rec.Provider)
	if err != nil {
		return false, err
	}
	j.Generation, j.Repo, j.PR, j.Trigger, j.RequestedBy = rec.IdleStopGeneration, rec.Repo, rec.PR, executor.TriggerIdle, "sindri-executor-reaper"
	key := jobs.IdempotencyKey(jobs.IdempotencyInput{
		Repo: rec.Repo, Env: rec.Env, Kind: jobs.KindStop, Trigger: executor.TriggerIdle,
		Delivery: "idle/" + strconv.FormatInt(rec.IdleStopFor.UnixNano(), 10),
	})
	dup, err := pub.PublishJob(ctx, j, key)
	if err != nil {
		return false, err
	}
	return !dup, nil
}
