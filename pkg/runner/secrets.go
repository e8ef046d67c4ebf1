package runner

import (
	"context"

	"github.com/sindri/deploy/v3/pkg/secrets"
)

// EmbeddedOpener returns a BusOpener for the zero-infrastructure default: each invocation gets
// an in-process server and executor whose jobs receive the secrets the action resolved,
// handed over in memory so they never travel on the bus.
func EmbeddedOpener(base EmbeddedConfig) BusOpener {
	return func(ctx context.Context, resolved []secrets.Resolved) (*Bus, error) {
		cfg := base
		if len(resolved) > 0 {
			cfg.Secrets = (&secrets.Result{Secrets: resolved}).ProviderSecrets()
		}
		return StartEmbedded(ctx, cfg)
	}
}
