package main

import (
	"context"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// reaper publishes a reap job for every environment whose record expired, every
// cfg.ReaperInterval, until ctx ends. Several executors may run it: the jobs' idempotency keys
// and the generation check make the extra ones harmless.
func reaper(ctx context.Context, js jetstream.JetStream, cfg config, log zerolog.Logger) error {
	envs, err := events.OpenEnvStore(ctx, js)
	if err != nil {
		return err
	}
	pub := events.NewPublisher(js)
	t := time.NewTicker(cfg.ReaperInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		n, err := reapOnce(ctx, envs, pub, time.Now())
		if err != nil {
			log.Warn().Err(err).Msg("reaper pass")
			continue
		}
		if n > 0 {
			log.Info().Int("queued", n).Msg("reaper queued expired environments")
		}
	}
}

// reapOnce queues a reap job for each expired, still-deployed environment and returns how many
// it queued.
func reapOnce(ctx context.Context, envs *events.EnvStore, pub *events.Publisher, now time.Time) (int, error) {
	recs, err := envs.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		if r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt) || r.State == providers.StateNotDeployed || r.Provider == "" {
			continue
		}
		gen, err := envs.BumpDesired(ctx, r.Env, true)
		if err != nil {
			return n, err
		}
		j, err := jobs.New(jobs.KindReap, r.Env, r.Provider)
		if err != nil {
			return n, err
		}
		j.Generation, j.Repo, j.PR, j.Trigger, j.RequestedBy = gen, r.Repo, r.PR, "schedule", "sindri-executor-reaper"
		key := j.IdempotencyKey("reaper/" + strconv.FormatInt(r.ExpiresAt.Unix(), 10))
		if _, err := pub.PublishJob(ctx, j, key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
