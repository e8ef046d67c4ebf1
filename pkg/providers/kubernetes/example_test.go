package kubernetes_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/kubernetes"
)

// The caller (cmd/executor, through pkg/providers/builtin) reads KUBECONFIG and the provider
// block and passes them in; the package reads no environment. Deploy is find-or-create:
// running it again changes nothing.
func Example() {
	p, err := kubernetes.New(kubernetes.Config{Kubeconfig: "/etc/sindri/kubeconfig", Context: "previews"})
	if err != nil {
		log.Fatal(err)
	}
	spec := &providers.Spec{
		Env:   "web-pr-7",
		Image: "ghcr.io/pacphi/sindri:v3-latest",
		Config: &config.Config{Version: "3.0", Name: "web", Deployment: config.Deployment{Provider: config.ProviderKubernetes},
			Providers: config.Providers{Kubernetes: &config.KubernetesConfig{Namespace: "previews"}}},
		Labels:  map[string]string{providers.LabelRepo: "acme/web", providers.LabelPR: "7"},
		Options: providers.Options{Timeout: 10 * time.Minute},
	}
	d, err := p.Deploy(context.Background(), spec, providers.NopReporter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Connection.ExecCommand)
}

// Plan needs no cluster to show the manifests: without a kubeconfig it assumes nothing
// exists, says so in a warning, and renders manifests.yaml (secret values as <redacted>).
func ExampleProvider_Plan() {
	p, _ := kubernetes.New(kubernetes.Config{})
	cpus := 2
	spec := &providers.Spec{
		Env:   "web-pr-7",
		Image: "ghcr.io/pacphi/sindri:v3-latest",
		Config: &config.Config{Version: "3.0", Name: "web",
			Deployment: config.Deployment{Provider: config.ProviderKubernetes, Resources: config.Resources{Memory: "4GB", CPUs: &cpus}},
			Providers:  config.Providers{Kubernetes: &config.KubernetesConfig{Namespace: "previews"}}},
	}
	plan, err := p.Plan(context.Background(), spec)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range strings.Split(plan.Artifacts[kubernetes.ArtifactManifests], "\n") {
		if strings.HasPrefix(l, "kind: ") || strings.Contains(l, "memory: ") || strings.Contains(l, "storage: ") {
			fmt.Println(strings.TrimSpace(l))
		}
	}
	// Output:
	// kind: Namespace
	// kind: PersistentVolumeClaim
	// storage: 10Gi
	// kind: Deployment
	// memory: 4Gi
	// memory: 4Gi
	// kind: Service
}
