package kubernetes

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// step is what Deploy does with the Deployment.
type step int

const (
	stepCreate step = iota // nothing there: apply everything
	stepUpdate             // there, but not as desired: apply everything
	stepStart              // as desired but scaled to 0: scale to 1
	stepKeep               // as desired and running
)

var stepNames = [...]string{stepCreate: "create", stepUpdate: "update", stepStart: "start", stepKeep: "keep"}

// String names the step.
func (s step) String() string { return stepNames[s] }

// decision is what Plan shows and Deploy does: both take it from decide.
type decision struct {
	createNamespace bool
	step            step
	why             string
	prune           []objRef // objects of ours the desired state no longer has
	dep             *appsv1.Deployment
}

// decide observes the cluster and decides; force (Options.Force) re-applies everything even
// when the hash says nothing changed, undoing edits made by hand (never delete and recreate:
// that would lose the home volume). Errors: ErrConflict for an object of one of our
// names that is not ours; a transient ErrUnavailable while the namespace or one of our
// objects is being deleted; classified API errors.
func decide(ctx context.Context, k *kube, d *desired, force bool) (*decision, error) {
	dc := &decision{}
	ns, err := k.core.Namespaces().Get(ctx, d.Namespace, metav1.GetOptions{})
	switch {
	case isNotFound(err):
		dc.createNamespace = true
		dc.step, dc.why = stepCreate, "namespace "+d.Namespace+" does not exist"
		return dc, nil
	case err != nil:
		return nil, k.classify("get namespace "+d.Namespace, err)
	case ns.DeletionTimestamp != nil:
		return nil, providers.Transient(fmt.Errorf("kubernetes: namespace %s is being deleted: %w: deploy again once it is gone", d.Namespace, providers.ErrUnavailable))
	}
	m := d.render(false, true)
	missing := false
	for _, ref := range m.refs() {
		meta, err := k.getMeta(ctx, d.Namespace, ref)
		switch {
		case isNotFound(err):
			missing = true
			continue
		case err != nil:
			return nil, err
		case !ours(meta.Labels, d.Env):
			return nil, fmt.Errorf("kubernetes: %s in namespace %s exists and is not environment %s's (no %s=%s label): %w", ref, d.Namespace, d.Env, providers.LabelEnv, d.Env, providers.ErrConflict)
		case meta.DeletionTimestamp != nil:
			return nil, providers.Transient(fmt.Errorf("kubernetes: %s in namespace %s is being deleted: %w: deploy again once it is gone", ref, d.Namespace, providers.ErrUnavailable))
		}
	}
	prune, err := k.extraObjects(ctx, d.Namespace, d.Env, m.refs())
	if err != nil {
		return nil, err
	}
	dc.prune = prune
	dep, err := k.apps.Deployments(d.Namespace).Get(ctx, deploymentName(d.Env), metav1.GetOptions{})
	switch {
	case isNotFound(err):
		dc.step, dc.why = stepCreate, "no deployment "+d.Env
	case err != nil:
		return nil, k.classify("get deployment "+d.Namespace+"/"+d.Env, err)
	case dep.Annotations[annoConfigHash] != d.hash():
		dc.dep, dc.step, dc.why = dep, stepUpdate, "the desired state changed"
	case missing || len(prune) > 0:
		dc.dep, dc.step, dc.why = dep, stepUpdate, "objects of the environment are missing or left over"
	case force:
		dc.dep, dc.step, dc.why = dep, stepUpdate, "forced: every object is applied again"
	case dep.Spec.Replicas != nil && *dep.Spec.Replicas == 0:
		dc.dep, dc.step, dc.why = dep, stepStart, "it is stopped (0 replicas)"
	default:
		dc.dep, dc.step, dc.why = dep, stepKeep, "as desired"
	}
	return dc, nil
}
