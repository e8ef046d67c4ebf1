package runner

import (
	"context"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// EmbeddedOpener returns a BusOpener for the zero-infrastructure default: each invocation gets
// an in-process server and executor whose providers receive the secrets the action resolved,
// handed over in memory so they never travel on the bus.
func EmbeddedOpener(base EmbeddedConfig) BusOpener {
	return func(ctx context.Context, resolved []secrets.Resolved) (*Bus, error) {
		cfg := base
		if len(resolved) > 0 {
			values := (&secrets.Result{Secrets: resolved}).ProviderSecrets()
			reg := &providers.Registry{}
			for _, name := range base.Registry.Names() {
				p, err := base.Registry.Get(name)
				if err != nil {
					return nil, err
				}
				if err := reg.Register(withSecrets{Provider: p, secrets: values}); err != nil {
					return nil, err
				}
			}
			cfg.Registry = reg
		}
		return StartEmbedded(ctx, cfg)
	}
}

// withSecrets gives every Spec the invocation's resolved secrets.
type withSecrets struct {
	providers.Provider
	secrets []providers.SecretValue
}

func (w withSecrets) spec(s *providers.Spec) *providers.Spec {
	if len(s.Secrets) > 0 {
		return s
	}
	c := *s
	c.Secrets = w.secrets
	return &c
}

func (w withSecrets) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	return w.Provider.Plan(ctx, w.spec(s))
}

func (w withSecrets) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	return w.Provider.Deploy(ctx, w.spec(s), r)
}

func (w withSecrets) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	return w.Provider.Status(ctx, w.spec(s))
}

func (w withSecrets) Stop(ctx context.Context, s *providers.Spec) error {
	return w.Provider.Stop(ctx, w.spec(s))
}

func (w withSecrets) Start(ctx context.Context, s *providers.Spec) error {
	return w.Provider.Start(ctx, w.spec(s))
}

func (w withSecrets) Destroy(ctx context.Context, s *providers.Spec) error {
	return w.Provider.Destroy(ctx, w.spec(s))
}
