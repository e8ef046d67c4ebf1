package providers

import "context"

// TrafficReporter is implemented by providers that can tell how much inbound network traffic
// an environment has received, from the platform's own counters. The idle stop treats a change
// of the count between two reaper passes as activity, like a push (docs/cost.md). Providers
// whose platform reports no traffic do not implement it; their environments are idle after a
// time without pushes and commands alone.
type TrafficReporter interface {
	// InboundBytes returns the environment's received byte count as the platform counts it
	// now. Only changes matter: a counter that restarts (a container started again) is a
	// change too. Spec.Env and Spec.Labels name the environment. Errors: ErrNotFound when the
	// environment does not exist or is not running.
	InboundBytes(ctx context.Context, s *Spec) (uint64, error)
}
