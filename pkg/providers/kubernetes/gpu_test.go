package kubernetes

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// gpuModelConfig asks for two A100 80 GB GPUs by model: the pod must land on a node whose
// nvidia.com/gpu.product is one of that model's products.
func gpuModelConfig(ns string) *config.Config {
	c := testConfig(ns)
	two := 2
	c.Deployment.Resources.GPU = &config.GPU{Enabled: true, Type: "nvidia", Tier: "a100-80", Count: &two}
	return c
}

// TestGoldenGPUModel pins the plan of a GPU model tier: the nvidia.com/gpu limit and the node
// affinity on the product label.
func TestGoldenGPUModel(t *testing.T) {
	t.Parallel()
	golden.Compare(t, filepath.Join("testdata", "golden", "gpu-model.txt"), goldenPlan(t, gpuModelConfig("gpu-envs")))
}

// TestDeployGPUModel deploys a GPU model tier to the real API server and reads the Deployment
// back as the server stored it: two nvidia.com/gpu in limits and requests, the toleration,
// and a required node affinity on nvidia.com/gpu.product listing exactly the model's
// products from the catalogue. A generic tier renders no affinity.
func TestDeployGPUModel(t *testing.T) {
	t.Parallel()
	needCluster(t)
	for _, tc := range []struct {
		name, tier string
		want       []string
	}{
		{"model", "a100-80", catalog.KubernetesGPUs["a100-80"]},
		{"generic", "gpu-large", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := "gpu-" + tc.name + "-" + randSuffix()
			ns := testNamespace(t, "ns-"+env)
			p := newTestProvider(t, Config{})
			s := testSpec(env, ns)
			s.Config = gpuModelConfig(ns)
			s.Config.Deployment.Resources.GPU.Tier = tc.tier
			ctx := context.Background()
			if _, err := p.Deploy(ctx, s, nil); err != nil {
				t.Fatalf("Deploy: %v", err)
			}
			t.Cleanup(func() { _ = p.Destroy(context.WithoutCancel(ctx), s) })
			dep, err := cluster.cs.AppsV1().Deployments(ns).Get(ctx, env, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pod := dep.Spec.Template.Spec
			lim := pod.Containers[0].Resources.Limits[corev1.ResourceName(catalog.KubernetesGPUResource)]
			req := pod.Containers[0].Resources.Requests[corev1.ResourceName(catalog.KubernetesGPUResource)]
			if lim.Value() != 2 || req.Value() != 2 {
				t.Errorf("nvidia.com/gpu limit %s, request %s; want 2 and 2", lim.String(), req.String())
			}
			if !slices.ContainsFunc(pod.Tolerations, func(tl corev1.Toleration) bool { return tl.Key == catalog.KubernetesGPUResource }) {
				t.Errorf("no toleration for %s: %+v", catalog.KubernetesGPUResource, pod.Tolerations)
			}
			got := productAffinity(pod.Affinity)
			if !slices.Equal(got, tc.want) {
				t.Errorf("node affinity on %s = %v, want %v", catalog.KubernetesGPUProductLabel, got, tc.want)
			}
		})
	}
}

// productAffinity returns the values of the required node affinity on the GPU product label.
func productAffinity(a *corev1.Affinity) []string {
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	var out []string
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, e := range term.MatchExpressions {
			if e.Key == catalog.KubernetesGPUProductLabel && e.Operator == corev1.NodeSelectorOpIn {
				out = append(out, e.Values...)
			}
		}
	}
	return out
}
