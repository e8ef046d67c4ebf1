package providers

import "context"

// Lister is implemented by providers that can list, from the platform itself, the environments
// they manage (found by their LabelManagedBy label or equivalent metadata). The reaper uses it so
// that expired environments are found even when the bus has kept no records (embedded mode).
type Lister interface {
	List(ctx context.Context) ([]Managed, error)
}

// Managed is one environment found on a platform.
type Managed struct {
	Env   string `json:"env"`
	State State  `json:"state"`
	// Labels are the labels (or metadata) found on the environment's primary resource,
	// including LabelExpiresAt when it has an expiry.
	Labels map[string]string `json:"labels,omitempty"`
}
