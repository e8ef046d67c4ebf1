package kubernetes

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handles Deploy writes: `kubernetes/v1:{...}`.
const handleVersion = 1

// handleState is what a kubernetes handle records: the kubeconfig context, the namespace and
// the Deployment's name, which the config (absent for teardown, and perhaps changed since)
// would otherwise give.
type handleState struct {
	Context   string `json:"context,omitempty"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// String returns the handle text (a struct of strings always marshals).
func (h handleState) String() string {
	text, _ := providers.NewHandle(Name, handleVersion, h)
	return text
}

// readHandle returns the state a spec's handle records; the zero state when there is none or
// it cannot be read (a handle is a hint).
func readHandle(h *providers.Handle) handleState {
	var st handleState
	if h == nil || h.Decode(Name, handleVersion, &st) != nil || !validLabel(st.Namespace) {
		return handleState{}
	}
	return st
}

// located is where an environment is found: its client and namespace.
type located struct {
	k  *kube
	ns string
}

// locate finds the environment's namespace for a verb that may have no config: the handle's
// namespace when the Deployment is there; else the config's; else, labels winning over both,
// wherever a Deployment labelled for env is (a cluster-wide list, which the kubeconfig's user
// may not be allowed: then the first candidate). found is false when the Deployment is
// nowhere; ns is then the first candidate, for the leftovers check.
func (p *Provider) locate(ctx context.Context, s *providers.Spec) (loc located, found bool, err error) {
	if err := specEnv(s); err != nil {
		return located{}, false, err
	}
	hs := readHandle(s.Handle)
	k, err := p.client(s, hs.Context)
	if err != nil {
		return located{}, false, err
	}
	var candidates []string
	if hs.Namespace != "" {
		candidates = append(candidates, hs.Namespace)
	}
	if s.Config != nil && s.Config.Providers.Kubernetes != nil && s.Config.Providers.Kubernetes.Namespace != "" {
		candidates = append(candidates, s.Config.Providers.Kubernetes.Namespace)
	}
	for _, ns := range candidates {
		dep, err := k.apps.Deployments(ns).Get(ctx, deploymentName(s.Env), metav1.GetOptions{})
		switch {
		case err == nil && ours(dep.Labels, s.Env):
			return located{k, ns}, true, nil
		case err == nil:
			// A Deployment of the env's name that is not ours is never the environment.
		case !isNotFound(err):
			return located{}, false, k.classify("get deployment "+ns+"/"+s.Env, err)
		}
	}
	// The namespaced candidates said nothing: the labels, cluster-wide.
	list, err := k.apps.Deployments("").List(ctx, metav1.ListOptions{LabelSelector: ownLabels(s.Env)})
	if err == nil && len(list.Items) > 0 {
		return located{k, list.Items[0].Namespace}, true, nil
	}
	if len(candidates) == 0 {
		candidates = append(candidates, "default")
	}
	return located{k, candidates[0]}, false, nil
}

// ours reports whether an object's labels make it env's.
func ours(labels map[string]string, env string) bool {
	return labels[providers.LabelManagedBy] == providers.ManagedByValue && labels[providers.LabelEnv] == env
}
