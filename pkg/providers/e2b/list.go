package e2b

import (
	"context"
	"maps"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// List implements providers.Lister: every sandbox carrying the managed-by mark, with its
// metadata as labels. Metadata is fixed at create, so its sindri.dev/expires-at is the one of
// the first Deploy (see docs/providers/e2b.md, "Lister and reaper"). It uses the executor's key.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	a, err := p.apiFor(nil, nil)
	if err != nil {
		return nil, err
	}
	sbs, err := a.listSandboxes(ctx, map[string]string{providers.LabelManagedBy: providers.ManagedByValue})
	if err != nil {
		return nil, err
	}
	var out []providers.Managed
	for _, sb := range sbs {
		env := sb.Metadata[providers.LabelEnv]
		if env == "" || !ours(sb, env) {
			continue
		}
		out = append(out, providers.Managed{Env: env, State: stateMap[sb.state()], Labels: maps.Clone(sb.Metadata)})
	}
	return out, nil
}
