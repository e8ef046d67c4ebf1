package providers

import (
	"context"
	"time"
)

// TrafficReporter is implemented by providers that can tell how much inbound network traffic
// an environment has received, from the platform's own counters. The idle stop treats a change
// of the count between two reaper passes (above a small noise floor) as activity, like a push
// (docs/cost.md). Providers
// whose platform reports no traffic do not implement it; their environments are idle after a
// time without pushes and commands alone.
type TrafficReporter interface {
	// InboundBytes returns the environment's received byte count as the platform counts it
	// now. Only growth matters; a counter that restarts (a container started again) only
	// sets a new baseline. Spec.Env and Spec.Labels name the environment. Errors: ErrNotFound when the
	// environment does not exist or is not running.
	InboundBytes(ctx context.Context, s *Spec) (uint64, error)
}

// TimeoutExtender is implemented by providers whose platform ends (pauses or removes) an
// environment by itself after a timeout that a keep-alive extends (E2B). The executor's reaper
// extends it only while the environment is not idle, so an idle one reaches its end, or its
// idle stop, instead of being kept alive (docs/cost.md).
type TimeoutExtender interface {
	// ExtendTimeout extends the running environment's timeout when less than half of it is
	// left, and returns when the environment now ends (zero when it is not running: a
	// keep-alive never resumes anything). Errors: ErrNotFound when the environment does not
	// exist.
	ExtendTimeout(ctx context.Context, s *Spec) (time.Time, error)
}
