package kubernetes

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Status implements providers.Provider, without the config: the Deployment found through the
// handle, the config or the labels (locate). None: notdeployed, unless other objects of env are
// left (a cancelled first deploy), which is error. spec.replicas 0: stopped. Ready: running.
// A failing pod: error. Otherwise creating.
func (p *Provider) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	loc, found, err := p.locate(ctx, s)
	if err != nil {
		return nil, err
	}
	st := &providers.Status{Env: s.Env, Provider: Name, State: providers.StateNotDeployed,
		Details: map[string]string{"namespace": loc.ns}}
	if loc.k.context != "" {
		st.Details["context"] = loc.k.context
	}
	if !found {
		refs, _, err := loc.k.owned(ctx, loc.ns, s.Env)
		if err != nil {
			return nil, err
		}
		if len(refs) > 0 {
			st.State = providers.StateError
			st.Details["incomplete"] = "no deployment; left: " + refNames(refs)
		}
		return st, nil
	}
	dep, err := loc.k.apps.Deployments(loc.ns).Get(ctx, deploymentName(s.Env), metav1.GetOptions{})
	if err != nil {
		if isNotFound(err) {
			return st, nil // deleted since locate
		}
		return nil, loc.k.classify("get deployment "+loc.ns+"/"+s.Env, err)
	}
	st.State, err = p.depState(ctx, loc.k, dep)
	if err != nil {
		return nil, err
	}
	st.InstanceID = string(dep.UID)
	if cs := dep.Spec.Template.Spec.Containers; len(cs) > 0 {
		st.Image = cs[0].Image
	}
	created := dep.CreationTimestamp.Time
	st.Timestamps.CreatedAt = &created
	st.Details["replicas"] = strconv.Itoa(int(replicasOf(dep)))
	st.Details["available_replicas"] = strconv.Itoa(int(dep.Status.AvailableReplicas))
	st.Addresses = []providers.Address{{Type: providers.AddressInternal, Value: serviceName(s.Env) + "." + loc.ns + ".svc", Port: servicePort}}
	return st, nil
}

// depState maps a Deployment to a state (see Status).
func (p *Provider) depState(ctx context.Context, k *kube, dep *appsv1.Deployment) (providers.State, error) {
	switch {
	case dep.DeletionTimestamp != nil:
		return providers.StateDestroying, nil
	case replicasOf(dep) == 0:
		return providers.StateStopped, nil
	case ready(dep):
		return providers.StateRunning, nil
	}
	f, err := k.podFailure(ctx, dep, p.cfg.CrashRestarts)
	if err != nil {
		return providers.StateUnknown, err
	}
	if f != nil {
		return providers.StateError, nil
	}
	return providers.StateCreating, nil
}

func replicasOf(dep *appsv1.Deployment) int32 {
	if dep.Spec.Replicas == nil {
		return 1
	}
	return *dep.Spec.Replicas
}

// Stop implements providers.Provider: the scale subresource to 0; Status says stopped at
// once. Errors: ErrNotFound when there is no Deployment.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	loc, err := p.mustLocate(ctx, s)
	if err != nil {
		return err
	}
	return loc.k.scale(ctx, loc.ns, deploymentName(s.Env), 0)
}

// Start implements providers.Provider: the scale subresource to 1, then the readiness wait
// (a crash-looping pod fails it at once, quoting its last log line). Errors: ErrNotFound when
// there is no Deployment, ErrWorkloadFailed, classified API errors.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	loc, err := p.mustLocate(ctx, s)
	if err != nil {
		return err
	}
	if err := loc.k.scale(ctx, loc.ns, deploymentName(s.Env), 1); err != nil {
		return err
	}
	var redact []string
	for _, sv := range append(append([]providers.SecretValue(nil), s.Secrets...), s.Credentials...) {
		if sv.Value != nil {
			redact = append(redact, sv.Value.Reveal())
		}
	}
	_, err = p.waitReady(ctx, loc.k, loc.ns, deploymentName(s.Env), p.timeoutFor(s), redact, providers.NopReporter{})
	return err
}

func (p *Provider) mustLocate(ctx context.Context, s *providers.Spec) (located, error) {
	loc, found, err := p.locate(ctx, s)
	if err != nil {
		return located{}, err
	}
	if !found {
		return located{}, fmt.Errorf("kubernetes: deployment %s in namespace %s: %w", s.Env, loc.ns, providers.ErrNotFound)
	}
	return loc, nil
}

// Destroy implements providers.Provider, without the config: it deletes every object labelled
// for env in its namespace (Ingress, Service, Deployment, Secrets, PVC), waits until they are
// gone, and deletes the namespace when this provider created it and no Deployment is left in
// it (it does not wait for the namespace). Gone already is success.
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	loc, _, err := p.locate(ctx, s)
	if err != nil {
		return err
	}
	_, err = p.removeAll(ctx, loc.k, loc.ns, s.Env, true, true)
	return err
}

// removeAll deletes env's objects in ns and, with namespace, the namespace if it is ours and
// holds no Deployment; with wait it returns once they are gone (within DeleteWait). left names
// what remains when it fails.
func (p *Provider) removeAll(ctx context.Context, k *kube, ns, env string, namespace, wait bool) (left []string, err error) {
	refs, _, err := k.owned(ctx, ns, env)
	if err != nil {
		return []string{"objects labelled " + ownLabels(env) + " in " + ns}, err
	}
	for i, ref := range refs {
		if err := k.remove(ctx, ns, ref); err != nil {
			return refStrings(refs[i:]), err
		}
	}
	if wait {
		if err := p.waitGone(ctx, k, ns, env); err != nil {
			return refStrings(refs), err
		}
	}
	if namespace {
		if err := k.removeNamespace(ctx, ns); err != nil {
			return []string{"namespace/" + ns}, err
		}
	}
	return nil, nil
}

// waitGone polls until no object labelled for env is left in ns. A PVC stays while its pod
// terminates (pvc-protection).
func (p *Provider) waitGone(ctx context.Context, k *kube, ns, env string) error {
	deadline := time.NewTimer(p.cfg.DeleteWait)
	defer deadline.Stop()
	for {
		refs, _, err := k.owned(ctx, ns, env)
		if err != nil || len(refs) == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kubernetes: wait for %s to be deleted: %w", refNames(refs), ctx.Err())
		case <-deadline.C:
			return providers.Transient(fmt.Errorf("kubernetes: %s in namespace %s still being deleted after %v: %w", refNames(refs), ns, p.cfg.DeleteWait, providers.ErrUnavailable))
		case <-time.After(p.cfg.PollInterval):
		}
	}
}

// removeNamespace deletes ns when this provider created it (annotation annoCreatedFor and the
// managed-by label) and no Deployment is left in it, whoever's. A namespace it did not create
// is never deleted.
func (k *kube) removeNamespace(ctx context.Context, ns string) error {
	o, err := k.core.Namespaces().Get(ctx, ns, metav1.GetOptions{})
	switch {
	case isNotFound(err):
		return nil
	case err != nil:
		return k.classify("get namespace "+ns, err)
	case o.DeletionTimestamp != nil || o.Annotations[annoCreatedFor] == "" || o.Labels[providers.LabelManagedBy] != providers.ManagedByValue:
		return nil
	}
	deps, err := k.apps.Deployments(ns).List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return k.classify("list deployments in "+ns, err)
	}
	if len(deps.Items) > 0 {
		return nil
	}
	if err := k.core.Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !isNotFound(err) {
		return k.classify("delete namespace "+ns, err)
	}
	return nil
}

func refStrings(refs []objRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.String()
	}
	return out
}

func refNames(refs []objRef) string { return strings.Join(refStrings(refs), ", ") }
