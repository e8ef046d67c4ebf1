package main

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// idleRules are this executor's idle stop rules (executor.IdleRules, shared with the scheduled
// reap workflow): its cost.idle_stop, the providers of reg that can stop and start, those
// that report traffic and those with a timeout keep-alive.
func idleRules(cfg config, reg *providers.Registry) executor.IdleRules {
	return executor.IdleRules{
		Idle: cfg.IdleStop,
		CanStop: func(name string) bool {
			p, err := reg.Get(name)
			return err == nil && p.Capabilities().StopStart
		},
		Traffic:     func(name string) providers.TrafficReporter { return capability[providers.TrafficReporter](reg, name) },
		Extender:    func(name string) providers.TimeoutExtender { return capability[providers.TimeoutExtender](reg, name) },
		RequestedBy: "sindri-executor-reaper",
	}
}

// idleOnce queues a stop job (trigger schedule.idle) for each running environment idle at now
// under rules (no push, command or traffic for its idle time) and returns how many it queued.
// Errors of single environments are logged and returned joined.
func idleOnce(ctx context.Context, envs *events.EnvStore, pub *events.Publisher, now time.Time, rules executor.IdleRules, log zerolog.Logger) (int, error) {
	return queueEach(ctx, envs, "idle stop", log,
		func(r *events.EnvRecord) bool {
			due, err := rules.Due(ctx, envs, r, now)
			if err != nil && !errors.Is(err, providers.ErrNotFound) {
				log.Warn().Err(err).Str("env", r.Env).Msg("reaper: cannot read the environment's traffic or extend its timeout; trying again next pass")
			}
			return due
		},
		func(r *events.EnvRecord) (bool, error) {
			_, _, queued, err := rules.QueueIdleStop(ctx, envs, pub, r)
			return queued, err
		})
}

// capability returns provider name of reg as a T, or T's zero value when it is not one.
func capability[T any](reg *providers.Registry, name string) T {
	var zero T
	p, err := reg.Get(name)
	if err != nil {
		return zero
	}
	c, ok := p.(T)
	if !ok {
		return zero
	}
	return c
}
