package docker

import (
	"context"
	"sort"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

var _ providers.Lister = (*Provider)(nil)

// List implements providers.Lister: every environment whose container carries the managed-by
// label, with the container's labels (LabelExpiresAt among them when the env has an expiry).
// Containers set aside by an interrupted replace are skipped. An unreachable engine wraps
// providers.ErrUnavailable.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	f := make(client.Filters).Add("label", providers.LabelManagedBy+"="+providers.ManagedByValue)
	cs, err := p.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, p.wrap("list containers", err)
	}
	seen := map[string]bool{}
	var out []providers.Managed
	for _, c := range cs.Items {
		env := c.Labels[providers.LabelEnv]
		if env == "" || seen[env] || !slicesContains(c.Names, "/"+env) {
			continue
		}
		seen[env] = true
		labels := make(map[string]string, len(c.Labels))
		for k, v := range c.Labels {
			labels[k] = v
		}
		out = append(out, providers.Managed{Env: env, State: mapState(c.State), Labels: labels})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Env < out[j].Env })
	return out, nil
}
