package kubernetes

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// A namespace Deploy created is ours: Destroy deletes it once no Deployment is left in it
// (Argo CD's PR generator leaves such namespaces behind; we do not), and not while another
// environment still lives there. A namespace someone else made is never deleted. envtest
// never finishes a namespace deletion: deleting shows as a deletionTimestamp.
func TestDestroyDeletesOnlyNamespacesItCreated(t *testing.T) {
	t.Parallel()
	p := newTestProvider(t, Config{})
	ctx := context.Background()
	ns := "made-" + randSuffix()
	a, b := testSpec("nsa-"+randSuffix(), ns), testSpec("nsb-"+randSuffix(), ns)
	for _, s := range []*providers.Spec{a, b} {
		if _, err := p.Deploy(ctx, s, nil); err != nil {
			t.Fatalf("Deploy %s into a new namespace: %v", s.Env, err)
		}
	}
	deleting := func(ns string) bool {
		t.Helper()
		o, err := cluster.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get namespace %s: %v", ns, err)
		}
		return o.DeletionTimestamp != nil
	}
	if err := p.Destroy(ctx, &providers.Spec{Env: a.Env, Labels: a.Labels}); err != nil {
		t.Fatalf("Destroy %s: %v", a.Env, err)
	}
	if deleting(ns) {
		t.Fatalf("namespace %s deleted while %s still lives in it", ns, b.Env)
	}
	if err := p.Destroy(ctx, b); err != nil {
		t.Fatalf("Destroy %s: %v", b.Env, err)
	}
	if !deleting(ns) {
		t.Errorf("namespace %s, which Deploy created, is not deleted after its last environment", ns)
	}

	foreign := testNamespace(t, "theirs-"+randSuffix())
	c := testSpec("nsc-"+randSuffix(), foreign)
	if _, err := p.Deploy(ctx, c, nil); err != nil {
		t.Fatalf("Deploy into an existing namespace: %v", err)
	}
	if err := p.Destroy(ctx, c); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if deleting(foreign) {
		t.Errorf("namespace %s, which Deploy did not create, was deleted", foreign)
	}
}
