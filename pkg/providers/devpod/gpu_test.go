package devpod_test

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
)

// A GPU model tier becomes the backend's instance type (a cloud) or a node selector on the
// GPU product label (kubernetes), in the devpod calls the plan lists; a model the backend
// does not offer fails with the backend's list.
func TestGPUModelPicksInstance(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, backend, block, tier string
		count                      int
		want                       string // a fragment of the plan's calls; "" when refused
		wantErr                    string
	}{
		{"aws l4", "aws", "aws: {region: us-east-1}", "l4", 1, "AWS_INSTANCE_TYPE=g6.xlarge", ""},
		{"aws h100 x8", "aws", "aws: {region: us-east-1}", "h100", 8, "AWS_INSTANCE_TYPE=p5.48xlarge", ""},
		{"gcp a100-80 x2", "gcloud", "gcp: {project: p, zone: us-central1-a}", "a100-80", 2, "MACHINE_TYPE=a2-ultragpu-2g", ""},
		{"azure t4", "azure", "azure: {location: westeurope}", "t4", 1, "AZURE_INSTANCE_SIZE=Standard_NC4as_T4_v3", ""},
		{"kubernetes l4", "kubernetes", "kubernetes: {namespace: dev}", "l4", 1, "NODE_SELECTOR=nvidia.com/gpu.product=NVIDIA-L4", ""},
		{"aws h100 x1", "aws", "aws: {region: us-east-1}", "h100", 1, "", "comes in 8 GPUs per instance"},
		{"gcp rtx4090", "gcloud", "gcp: {project: p, zone: us-central1-a}", "rtx4090", 1, "", "gcp models: a100, a100-40, a100-80, b200, h100, h200, l4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			typ := tc.backend
			if typ == "gcloud" {
				typ = "gcp"
			}
			c := &config.Config{Version: "3.0", Name: "gpu",
				Deployment: config.Deployment{Provider: config.ProviderDevPod, Image: "ghcr.io/example/sindri:1",
					Resources: config.Resources{GPU: &config.GPU{Enabled: true, Tier: tc.tier, Count: &tc.count}}},
				Extensions: config.Extensions{Profile: "minimal"}}
			src := "version: \"3.0\"\nname: gpu\ndeployment:\n  provider: devpod\n  image: ghcr.io/example/sindri:1\n" +
				"  resources:\n    gpu: {enabled: true, tier: " + tc.tier + ", count: " + strconv.Itoa(tc.count) + "}\nextensions: {profile: minimal}\n" +
				"providers:\n  devpod:\n    type: " + typ + "\n    " + tc.block + "\n"
			loaded, diags := config.Load("sindri.yaml", []byte(src))
			if tc.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Err().Error(), tc.wantErr) {
					t.Fatalf("validation: want an error containing %q, got %v", tc.wantErr, diags)
				}
				// The provider refuses the same config on its own (a job built by hand).
				c.Providers.DevPod = &config.DevPodConfig{Type: typ, AWS: &config.DevPodAWS{Region: "us-east-1"},
					GCP: &config.DevPodGCP{Project: "p", Zone: "us-central1-a"}}
				p := devpod.New(devpod.Config{Home: t.TempDir(), Getenv: func(k string) string { return executorEnv[k] }})
				s, _ := fixtureSpec(p, c)
				if _, err := p.Plan(t.Context(), s); !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Plan: %v, want ErrInvalidSpec naming %q", err, tc.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("config: %v", diags)
			}
			fake := fakeDevpod(t, tc.backend, nil, 2)
			p := devpod.New(devpod.Config{Binary: fake.Path, Home: filepath.Join(fake.Dir, "home"), PATH: "/usr/bin:/bin",
				Getenv: func(k string) string { return executorEnv[k] }})
			s, _ := fixtureSpec(p, loaded)
			pl, err := p.Plan(t.Context(), s)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if calls := strings.Join(pl.Calls, "\n"); !strings.Contains(calls, tc.want) {
				t.Errorf("plan calls lack %q:\n%s", tc.want, calls)
			}
		})
	}
}
