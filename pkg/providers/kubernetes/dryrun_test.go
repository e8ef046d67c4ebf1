package kubernetes

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestFixtureManifestsAccepted sends the manifests of every fixture config that targets
// kubernetes, and of the GPU, file secret and ingress config, to the real API server as a
// server-side dry-run apply (its validation and defaulting in full: quantities, the GPU limit,
// the pull secret's .dockerconfigjson, names). Only the namespace is really made, a fresh one
// per config, since namespaced dry-runs need it.
func TestFixtureManifestsAccepted(t *testing.T) {
	t.Parallel()
	cfg := needCluster(t)
	k, err := newKube(cfg, "envtest")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]*config.Config{"gpu-files-ingress": gpuConfig(), "gpu-model": gpuModelConfig("gpu-envs")}
	for _, fx := range providertest.Fixtures(t, config.ProviderKubernetes) {
		cases[fx.Name] = fx.Config
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, _ := New(Config{})
			d, err := resolve(fixtureSpec(p, "fixture-pr-1", c))
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			d.Namespace = "dry-" + strings.ToLower(strings.ReplaceAll(name, "_", "-"))
			ctx := context.Background()
			m := d.render(true, false)
			if _, err := k.core.Namespaces().Apply(ctx, m.namespace, applyOptions); err != nil {
				t.Fatalf("apply namespace: %v", err)
			}
			dry := applyOptions
			dry.DryRun = []string{metav1.DryRunAll}
			check := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Errorf("dry-run apply of %s refused: %v", what, err)
				}
			}
			for _, sec := range m.secretApplies() {
				_, err := k.core.Secrets(d.Namespace).Apply(ctx, sec, dry)
				check("secret "+*sec.Name, err)
			}
			_, err = k.core.PersistentVolumeClaims(d.Namespace).Apply(ctx, m.pvc, dry)
			check("pvc", err)
			dep, err := k.apps.Deployments(d.Namespace).Apply(ctx, m.deployment, dry)
			check("deployment", err)
			_, err = k.core.Services(d.Namespace).Apply(ctx, m.service, dry)
			check("service", err)
			if m.ingress != nil {
				_, err = k.net.Ingresses(d.Namespace).Apply(ctx, m.ingress, dry)
				check("ingress", err)
			}
			if dep != nil {
				if got := dep.Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String(); got != d.Memory {
					t.Errorf("memory limit as the server has it = %s, want %s", got, d.Memory)
				}
				if dep.Spec.Strategy.Type != "Recreate" {
					t.Errorf("strategy = %s, want Recreate", dep.Spec.Strategy.Type)
				}
			}
		})
	}
}
