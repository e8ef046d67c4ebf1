package config

import (
	"strings"
	"testing"
)

// GPU model tiers on the providers without per-GPU prices: accepted where the catalogue has
// the model, refused in one error that lists what the provider offers, and a hand-set
// selector or instance type that disagrees is a conflict naming both keys.
func TestGPUModelTiers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, provider, block, gpu string
		wantField, wantErr         string // "" when accepted
	}{
		{"kubernetes a100", "kubernetes", "kubernetes: {namespace: dev}", "{enabled: true, tier: a100, count: 2}", "", ""},
		{"kubernetes rtx4090", "kubernetes", "kubernetes: {namespace: dev}", "{enabled: true, tier: rtx4090}", "", ""},
		{"kubernetes mi300x", "kubernetes", "kubernetes: {namespace: dev}", "{enabled: true, tier: mi300x}",
			"deployment.resources.gpu.tier", "Kubernetes models: a10, a100, a100-40, a100-80"},
		{"kubernetes pinned elsewhere", "kubernetes", "kubernetes: {namespace: dev, gpuNodeSelector: {nvidia.com/gpu.product: NVIDIA-L4}}", "{enabled: true, tier: h100}",
			"deployment.resources.gpu.tier", "gpuNodeSelector pins nvidia.com/gpu.product to \"NVIDIA-L4\""},
		{"devpod aws l40s", "devpod", "devpod: {type: aws, aws: {region: us-east-1}}", "{enabled: true, tier: l40s, count: 4}", "", ""},
		{"devpod aws instanceType disagrees", "devpod", "devpod: {type: aws, aws: {region: us-east-1, instanceType: g5.xlarge}}", "{enabled: true, tier: l4}",
			"providers.devpod.aws.instanceType", `means "g6.xlarge"`},
		{"devpod azure a6000", "devpod", "devpod: {type: azure, azure: {location: westeurope}}", "{enabled: true, tier: a6000}",
			"deployment.resources.gpu.tier", "azure models: a10, a100, a100-40, a100-80, h100, h200, t4, v100"},
		{"devpod docker model", "devpod", "devpod: {type: docker}", "{enabled: true, tier: l4}",
			"deployment.resources.gpu.tier", "offers no GPU models"},
		{"docker model", "docker", "docker: {}", "{enabled: true, tier: a100}",
			"deployment.resources.gpu.tier", `unknown gpu tier "a100"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := "version: \"3.0\"\nname: gpu\ndeployment:\n  provider: " + tc.provider + "\n  image: ghcr.io/example/sindri:1\n" +
				"  resources:\n    gpu: " + tc.gpu + "\nextensions: {profile: minimal}\nproviders:\n  " + tc.block + "\n"
			_, diags := Load("sindri.yaml", []byte(src))
			errs := diags.Errors()
			if tc.wantErr == "" {
				if len(errs) > 0 {
					t.Fatalf("want no error, got %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tc.wantField || !strings.Contains(errs[0].Message, tc.wantErr) {
				t.Fatalf("want one error on %s containing %q, got %v", tc.wantField, tc.wantErr, errs)
			}
		})
	}
}
