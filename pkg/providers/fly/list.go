package fly

import (
	"context"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

var _ providers.Lister = (*Provider)(nil)

// List implements providers.Lister: every environment in the executor's organization (Config.Org)
// whose machine carries the managed-by metadata, with the labels its metadata holds
// (LabelExpiresAt among them). It uses the executor's token. Errors: MissingCredential, API
// errors.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	a, err := p.client(&providers.Spec{})
	if err != nil {
		return nil, err
	}
	apps, err := a.listApps(ctx, p.cfg.Org)
	if err != nil {
		return nil, err
	}
	var out []providers.Managed
	seen := map[string]bool{}
	for _, ap := range apps {
		ms, err := a.listMachines(ctx, ap.Name, metaManagedBy, providers.ManagedByValue)
		if err != nil {
			if apiStatus(err) == 404 {
				continue // deleted meanwhile
			}
			return nil, err
		}
		for _, m := range ms {
			env := m.Config.Metadata[metaEnv]
			if env == "" || seen[env] || !ours(m, env) {
				continue
			}
			seen[env] = true
			out = append(out, providers.Managed{Env: env, State: mapState(m.State), Labels: labelsOf(m.Config.Metadata)})
		}
	}
	slices.SortFunc(out, func(x, y providers.Managed) int { return strings.Compare(x.Env, y.Env) })
	return out, nil
}
