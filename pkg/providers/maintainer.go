package providers

import "context"

// Maintainer is implemented by providers with housekeeping that an executor runs at start-up and
// then periodically: work that repairs state outside the environments themselves after
// something else changed it (Docker: the reverse proxy's routes, after Caddy lost its config).
// Maintain must be safe to run at any time, concurrently with jobs, and cheap when there is
// nothing to repair.
type Maintainer interface {
	Maintain(ctx context.Context) error
}
