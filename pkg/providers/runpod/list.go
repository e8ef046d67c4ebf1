package runpod

import (
	"context"
	"encoding/json"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// List implements providers.Lister: every live pod that carries the managed-by marker and
// whose name is its SINDRI_ENV, with the labels of SINDRI_LABELS. It uses the executor's key.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	a, err := p.apiFor(nil, nil)
	if err != nil {
		return nil, err
	}
	pods, err := a.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []providers.Managed
	for _, pd := range pods {
		env := pd.Env[envMarker]
		if pd.Env[envManagedBy] != providers.ManagedByValue || !ours(pd, env) {
			continue
		}
		labels := map[string]string{}
		_ = json.Unmarshal([]byte(pd.Env[envLabels]), &labels)
		out = append(out, providers.Managed{Env: env, State: stateMap[pd.Status], Labels: labels})
	}
	return out, nil
}
