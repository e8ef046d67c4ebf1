package kubernetes

import (
	"context"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// List implements providers.Lister: every Deployment in the executor's cluster (all
// namespaces; the kubeconfig's user needs to list deployments cluster-wide) carrying the
// managed-by label, with its sindri.dev labels and annotations (expires-at among them).
// Errors: MissingCredential, classified API errors.
func (p *Provider) List(ctx context.Context) ([]providers.Managed, error) {
	k, err := p.client(&providers.Spec{}, "")
	if err != nil {
		return nil, err
	}
	deps, err := k.apps.Deployments("").List(ctx, metav1.ListOptions{LabelSelector: providers.LabelManagedBy + "=" + providers.ManagedByValue})
	if err != nil {
		return nil, k.classify("list deployments", err)
	}
	var out []providers.Managed
	for i := range deps.Items {
		dep := &deps.Items[i]
		env := dep.Labels[providers.LabelEnv]
		if env == "" {
			continue
		}
		labels := map[string]string{}
		for _, m := range []map[string]string{dep.Labels, dep.Annotations} {
			for k, v := range m {
				if strings.HasPrefix(k, "sindri.dev/") && k != annoConfigHash {
					labels[k] = v
				}
			}
		}
		st, err := p.depState(ctx, k, dep)
		if err != nil {
			return nil, err
		}
		out = append(out, providers.Managed{Env: env, State: st, Labels: labels})
	}
	slices.SortFunc(out, func(x, y providers.Managed) int { return strings.Compare(x.Env, y.Env) })
	return out, nil
}
