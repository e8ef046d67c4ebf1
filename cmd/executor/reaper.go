package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// reaper publishes a reap job for every environment whose record expired, every
// cfg.ReaperInterval, until ctx ends. Several executors may run it: the env record marks a
// queued reap (so no pass bumps or queues it again) and the jobs' idempotency keys, on the
// environment and its expiry, make a second publish within the duplicate window a no-op.
func reaper(ctx context.Context, js jetstream.JetStream, cfg config, idle executor.IdleRules, log zerolog.Logger) error {
	envs, err := events.OpenEnvStore(ctx, js)
	if err != nil {
		return err
	}
	pub := events.NewPublisher(js).SignedBy(cfg.SigningKey)
	t := time.NewTicker(cfg.ReaperInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := reapOnce(ctx, envs, pub, time.Now(), log)
		if err != nil {
			log.Warn().Err(err).Int("queued", n).Msg("reaper pass had errors")
			continue
		}
		if n > 0 {
			log.Info().Int("queued", n).Msg("reaper queued expired environments")
		}
		// Records may carry their own (shorter) idle time: the pass runs even when
		// cost.idle_stop is off.
		if n, err := idleOnce(ctx, envs, pub, time.Now(), idle, log); err != nil {
			log.Warn().Err(err).Int("queued", n).Msg("idle pass had errors")
		} else if n > 0 {
			log.Info().Int("queued", n).Msg("reaper queued idle stops")
		}
	}
}

// errReapPending stops the record update of an environment whose reap is already queued.
var errReapPending = errors.New("reap pending")

// reapOnce queues a reap job for each expired, still-deployed environment and returns how many
// it queued. An environment whose reap is pending (queued for its current expiry, nothing
// queued since) is published again with the same generation and key, which JetStream drops
// inside its duplicate window; nothing is bumped. The environment is not closed: an open pull
// request's next push must deploy again (close wins only for closed pull requests, whose
// records stay closed). A failure on one environment is logged and the others are still
// reaped; the errors are returned joined.
func reapOnce(ctx context.Context, envs *events.EnvStore, pub *events.Publisher, now time.Time, log zerolog.Logger) (int, error) {
	return queueEach(ctx, envs, "reap", log,
		func(r *events.EnvRecord) bool {
			return !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt) && r.State != providers.StateNotDeployed && r.Provider != ""
		},
		func(r *events.EnvRecord) (bool, error) { return reapEnv(ctx, envs, pub, r) })
}

// queueEach calls queue for every record eligible selects, and returns how many it queued. A
// failure on one environment is logged and the others are still tried; the errors are
// returned joined, each naming what (reap, idle stop) and the environment.
func queueEach(ctx context.Context, envs *events.EnvStore, what string, log zerolog.Logger, eligible func(*events.EnvRecord) bool, queue func(*events.EnvRecord) (bool, error)) (int, error) {
	recs, err := envs.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range recs {
		if !eligible(r) {
			continue
		}
		queued, err := queue(r)
		if err != nil {
			log.Warn().Err(err).Str("env", r.Env).Msg("reaper: cannot queue a " + what + " job; trying again next pass")
			errs = append(errs, fmt.Errorf("%s %s: %w", what, r.Env, err))
			continue
		}
		if queued {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// reapEnv queues the reap of one expired environment; queued is false when JetStream already
// held it.
func reapEnv(ctx context.Context, envs *events.EnvStore, pub *events.Publisher, r *events.EnvRecord) (bool, error) {
	exp := r.ExpiresAt
	rec, _, err := envs.Update(ctx, r.Env, func(cur *events.EnvRecord, _ bool) error {
		if cur.ReapPending() || !cur.ExpiresAt.Equal(exp) {
			return errReapPending // pending, or the expiry moved since List (a new deploy)
		}
		cur.DesiredGeneration++ // the reap outranks the jobs queued before it
		cur.ReapQueuedFor, cur.ReapGeneration = cur.ExpiresAt, cur.DesiredGeneration
		return nil
	})
	switch {
	case errors.Is(err, errReapPending):
		if rec, _, err = envs.Get(ctx, r.Env); err != nil {
			return false, err
		}
		if !rec.ReapPending() {
			return false, nil // the expiry moved: the next pass looks again
		}
	case err != nil:
		return false, err
	}
	j, err := jobs.New(jobs.KindReap, rec.Env, rec.Provider)
	if err != nil {
		return false, err
	}
	j.Generation, j.Repo, j.PR, j.Trigger, j.RequestedBy = rec.ReapGeneration, rec.Repo, rec.PR, "schedule", "sindri-executor-reaper"
	key := jobs.IdempotencyKey(jobs.IdempotencyInput{
		Repo: rec.Repo, Env: rec.Env, Kind: jobs.KindReap, Trigger: "schedule",
		Delivery: "reaper/" + strconv.FormatInt(rec.ReapQueuedFor.Unix(), 10),
	})
	dup, err := pub.PublishJob(ctx, j, key)
	if err != nil {
		return false, err
	}
	return !dup, nil
}
