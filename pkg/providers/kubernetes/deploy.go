package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// applyOptions are every apply's: the field manager "sindri", forced, so that a field another
// manager took (kubectl edit, a merge patch) comes back to the desired value.
var applyOptions = metav1.ApplyOptions{FieldManager: FieldManager, Force: true}

// rollbackAttempts bounds the tries of a first deploy's rollback.
const rollbackAttempts = 5

// deploySteps is the number of Progress steps Deploy reports.
const deploySteps = 8

// Deploy implements providers.Provider: observe and decide (decide), then, as decided, apply
// the namespace, secrets, PVC, Deployment, Service and Ingress with server-side apply, each the
// complete intent of its object; delete objects of ours the desired state dropped; or scale a
// stopped Deployment to 1; then wait until it is ready. A pod that crash-loops or cannot pull
// its image fails the deploy at the next poll with its last log lines. A failure of a first
// deploy deletes what it made; when that fails too it returns a *providers.PartialError.
// Errors: ErrInvalidSpec (resolve), MissingCredential, ErrConflict, ErrWorkloadFailed,
// ErrCapacity, classified API errors.
func (p *Provider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	if r == nil {
		r = providers.NopReporter{}
	}
	d, err := resolve(s)
	if err != nil {
		return nil, err
	}
	k, err := p.client(s, "")
	if err != nil {
		return nil, err
	}
	r.Progress("observe", 1, deploySteps)
	dc, err := decide(ctx, k, d, s.Options.Force)
	if err != nil {
		return nil, err
	}
	for _, w := range d.warnings {
		r.Log("kubernetes: warning: " + w)
	}
	h := handleState{Context: k.context, Namespace: d.Namespace, Name: deploymentName(d.Env)}
	run := &deployRun{p: p, k: k, d: d, dc: dc, r: r}
	if err := run.apply(ctx); err != nil {
		return nil, run.fail(ctx, err, h)
	}
	r.Progress("wait for readiness", deploySteps, deploySteps)
	if _, err := p.waitReady(ctx, k, d.Namespace, deploymentName(d.Env), p.timeoutFor(s), d.redact, r); err != nil {
		return nil, run.fail(ctx, err, h)
	}
	return &providers.Deployment{
		Env:        s.Env,
		Provider:   Name,
		Handle:     h.String(),
		State:      providers.StateRunning,
		Connection: connection(k.context, d.Namespace, d.Env),
		Changed:    dc.step != stepKeep,
		Messages:   []string{fmt.Sprintf("deployment %s/%s: %s (%s)", d.Namespace, d.Env, dc.step, dc.why)},
		Warnings:   d.warnings,
	}, nil
}

// deployRun is one Deploy's work after the decision.
type deployRun struct {
	p  *Provider
	k  *kube
	d  *desired
	dc *decision
	r  providers.Reporter
	// made is set once an apply may have made something (note): a failure before that has
	// nothing to roll back.
	made bool
}

// apply carries out the decision.
func (run *deployRun) apply(ctx context.Context) error {
	k, d, dc, r := run.k, run.d, run.dc, run.r
	switch dc.step {
	case stepKeep:
		return k.refreshExpiry(ctx, dc, d)
	case stepStart:
		r.Progress("scale to 1", 2, deploySteps)
		return k.scale(ctx, d.Namespace, deploymentName(d.Env), 1)
	}
	m := d.render(dc.createNamespace, false)
	if m.namespace != nil {
		r.Progress("namespace", 2, deploySteps)
		if _, err := k.core.Namespaces().Apply(ctx, m.namespace, applyOptions); run.note(err) != nil {
			return k.classify("apply namespace "+d.Namespace+" (it does not exist)", err)
		}

	}
	r.Progress("secrets", 3, deploySteps)
	for _, sec := range m.secretApplies() {
		if _, err := k.core.Secrets(d.Namespace).Apply(ctx, sec, applyOptions); run.note(err) != nil {
			return k.classify("apply secret "+d.Namespace+"/"+*sec.Name, err)
		}

	}
	r.Progress("persistentvolumeclaim", 4, deploySteps)
	if _, err := k.core.PersistentVolumeClaims(d.Namespace).Apply(ctx, m.pvc, applyOptions); run.note(err) != nil {
		return k.classify("apply persistentvolumeclaim "+d.Namespace+"/"+*m.pvc.Name, err)
	}

	r.Progress("deployment", 5, deploySteps)
	if _, err := k.apps.Deployments(d.Namespace).Apply(ctx, m.deployment, applyOptions); run.note(err) != nil {
		return k.classify("apply deployment "+d.Namespace+"/"+*m.deployment.Name, err)
	}
	r.Progress("service", 6, deploySteps)
	if _, err := k.core.Services(d.Namespace).Apply(ctx, m.service, applyOptions); run.note(err) != nil {
		return k.classify("apply service "+d.Namespace+"/"+*m.service.Name, err)
	}
	if m.ingress != nil {
		if _, err := k.net.Ingresses(d.Namespace).Apply(ctx, m.ingress, applyOptions); run.note(err) != nil {
			return k.classify("apply ingress "+d.Namespace+"/"+*m.ingress.Name, err)
		}
	}
	r.Progress("prune", 7, deploySteps)
	for _, ref := range dc.prune {
		r.Log("kubernetes: deleting " + ref.String() + ", which the desired state no longer has")
		if err := k.remove(ctx, d.Namespace, ref); err != nil {
			return err
		}
	}
	return nil
}

// refreshExpiry brings a kept Deployment's expires-at annotation (which the reaper's List
// reads) up to date with a merge patch of that one annotation: the executor may extend an
// environment's life with a deploy that changes nothing else, and such a deploy applies
// nothing. The next full apply takes the field back under the "sindri" manager.
func (k *kube) refreshExpiry(ctx context.Context, dc *decision, d *desired) error {
	want, ok := d.volatile[providers.LabelExpiresAt]
	if !ok || dc.dep == nil || dc.dep.Annotations[providers.LabelExpiresAt] == want {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{providers.LabelExpiresAt: want}}})
	if err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	_, err = k.apps.Deployments(d.Namespace).Patch(ctx, deploymentName(d.Env), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager + "-expiry"})
	return k.classify("refresh "+providers.LabelExpiresAt+" of deployment "+d.Namespace+"/"+d.Env, err)
}

// note records that an apply may have made something: it succeeded, or failed without the
// server's answer (a lost response, a cancellation). It returns err.
func (run *deployRun) note(err error) error {
	if err == nil || !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		run.made = true
	}
	return err
}

// fail ends a failed Deploy. A first deploy (nothing of env was there) that may have made
// something (note) is rolled back:
// everything labelled for env is deleted, and the namespace when this call made it, under a
// context of its own; if that fails, the error is a *providers.PartialError with the handle.
// An update leaves the environment as it is: Status shows it.
func (run *deployRun) fail(ctx context.Context, cause error, h handleState) error {
	if run.dc.step != stepCreate || !run.made {
		return cause
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var left []string
	var err error
	// A transient failure of the rollback is retried a few times, as the executor would
	// retry the whole Deploy.
	for attempt := 1; ; attempt++ {
		left, err = run.p.removeAll(cctx, run.k, run.d.Namespace, run.d.Env, run.dc.createNamespace, true)
		if err == nil {
			return cause
		}
		if attempt == rollbackAttempts || !providers.IsRetryable(err) || ctxwait.Sleep(cctx, time.Duration(attempt)*200*time.Millisecond) != nil {
			break
		}
	}
	return &providers.PartialError{Err: fmt.Errorf("%w (rollback: %v)", cause, err), Remaining: left, Handle: h.String()}
}

// scale sets the Deployment's replicas through its scale subresource with a merge patch (as
// kubectl scale does): unconditional, so a status write racing it cannot make it conflict, and
// the apply's intent (replicas 1) is left alone with no field manager conflict. Errors:
// ErrNotFound, classified API errors.
func (k *kube) scale(ctx context.Context, ns, name string, replicas int32) error {
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas))
	_, err := k.apps.Deployments(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}, "scale")
	if err != nil {
		return k.classify(fmt.Sprintf("scale deployment %s/%s to %d", ns, name, replicas), err)
	}
	return nil
}

// connection tells the user how to reach the environment: kubectl exec into the Deployment's
// pod, and SSH through a port-forward of the Service.
func connection(context, ns, env string) *providers.Connection {
	ctxFlag := ""
	if context != "" {
		ctxFlag = " --context " + context
	}
	return &providers.Connection{
		ExecCommand:  fmt.Sprintf("kubectl%s exec -it deploy/%s -n %s -c %s -- /bin/bash", ctxFlag, env, ns, containerName),
		Instructions: fmt.Sprintf("SSH: kubectl%s port-forward -n %s svc/%s 2222:%d, then ssh -p 2222 developer@127.0.0.1", ctxFlag, ns, serviceName(env), servicePort),
	}
}
