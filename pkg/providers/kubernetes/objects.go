package kubernetes

import (
	"context"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kinds of the objects an environment has in its namespace, in deletion order, by resource.
var (
	kindIngress    = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}
	kindService    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	kindDeployment = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	kindSecret     = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	kindPVC        = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}

	namespacedKinds = []schema.GroupVersionResource{kindIngress, kindService, kindDeployment, kindSecret, kindPVC}
)

// objRef names one object of the environment.
type objRef struct {
	kind schema.GroupVersionResource
	name string
}

func (o objRef) String() string { return o.kind.Resource + "/" + o.name }

// refs names the manifests' namespaced objects.
func (m *manifests) refs() []objRef {
	var out []objRef
	for _, s := range []*string{nameOf(m.secret), nameOf(m.files), nameOf(m.pull)} {
		if s != nil {
			out = append(out, objRef{kindSecret, *s})
		}
	}
	out = append(out, objRef{kindPVC, *m.pvc.Name}, objRef{kindDeployment, *m.deployment.Name}, objRef{kindService, *m.service.Name})
	if m.ingress != nil {
		out = append(out, objRef{kindIngress, *m.ingress.Name})
	}
	return out
}

// getMeta reads one object's metadata. Errors are classified.
func (k *kube) getMeta(ctx context.Context, ns string, ref objRef) (*metav1.ObjectMeta, error) {
	o, err := k.meta.Resource(ref.kind).Namespace(ns).Get(ctx, ref.name, metav1.GetOptions{})
	if err != nil {
		return nil, k.classify("get "+ref.String()+" in "+ns, err)
	}
	return &o.ObjectMeta, nil
}

// owned lists the objects of env in ns (found by its labels) with whether each is being
// deleted. A namespace that does not exist holds none. Errors are classified.
func (k *kube) owned(ctx context.Context, ns, env string) (refs []objRef, deleting []bool, err error) {
	opts := metav1.ListOptions{LabelSelector: ownLabels(env)}
	for _, kind := range namespacedKinds {
		l, err := k.meta.Resource(kind).Namespace(ns).List(ctx, opts)
		if err != nil {
			if isNotFound(err) {
				return nil, nil, nil
			}
			return nil, nil, k.classify("list "+kind.Resource+" of "+env+" in "+ns, err)
		}
		for _, o := range l.Items {
			refs = append(refs, objRef{kind, o.Name})
			deleting = append(deleting, o.DeletionTimestamp != nil)
		}
	}
	return refs, deleting, nil
}

// extraObjects are env's objects in ns that want does not name (a dropped secret, a disabled
// ingress): Deploy deletes them after applying.
func (k *kube) extraObjects(ctx context.Context, ns, env string, want []objRef) ([]objRef, error) {
	refs, deleting, err := k.owned(ctx, ns, env)
	if err != nil {
		return nil, err
	}
	var out []objRef
	for i, r := range refs {
		if !deleting[i] && !slices.Contains(want, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// remove deletes one object (a Deployment's pods with it, in the background); gone already
// is success. Errors are classified.
func (k *kube) remove(ctx context.Context, ns string, ref objRef) error {
	bg := metav1.DeletePropagationBackground
	err := k.meta.Resource(ref.kind).Namespace(ns).Delete(ctx, ref.name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !isNotFound(err) {
		return k.classify("delete "+ref.String()+" in "+ns, err)
	}
	return nil
}
