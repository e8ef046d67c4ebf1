package northflank

import (
	"context"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// List implements providers.Lister: every service tagged sindri-deploy in every project the
// executor's token sees, with the labels its description carries. It costs one request per
// project plus one, from the shared budget.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	a, err := p.apiFor(nil, nil)
	if err != nil {
		return nil, err
	}
	projects, err := a.listProjects(ctx)
	if err != nil {
		return nil, err
	}
	var out []providers.Managed
	for _, pr := range projects {
		svcs, err := a.listServices(ctx, pr.ID)
		if err != nil {
			if isGone(err) {
				continue
			}
			return nil, err
		}
		for _, sv := range svcs {
			labels := labelsOf(sv.Description)
			env := labels[providers.LabelEnv]
			if env == "" || !hasTags(sv.Tags, managedTag) {
				continue
			}
			// The list shows no servicePaused: a paused service reads as its last rollout.
			out = append(out, providers.Managed{Env: env, State: stateOf(sv), Labels: labels})
		}
	}
	return out, nil
}
