package kubernetes

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// fixtureSpec is the spec of a fixture config as the executor would hand it over: its
// secrets with values, credentials split out (KUBECONFIG_DATA among them), and registry
// credentials so that the pull secret shows.
func fixtureSpec(p providers.Provider, env string, c *config.Config) *providers.Spec {
	img, err := c.ImageRef()
	if err != nil || img == "" {
		img = testImage
	}
	s := &providers.Spec{Env: env, Config: c, Image: img,
		Labels: map[string]string{providers.LabelRepo: "acme/web", providers.LabelPR: "1", providers.LabelSHA: "0123abc",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: env,
			providers.LabelJobID: "job-1", providers.LabelExpiresAt: "2026-12-24T00:00:00Z"},
		Credentials: []providers.SecretValue{{Name: credDockerUsername, Value: plainSecret("fixture-user")},
			{Name: credDockerPassword, Value: plainSecret("fixture-password")}}}
	providertest.FixtureSecrets(s, c, p.Capabilities().Credentials)
	return s
}

// TestGoldenFixtures pins, for every shared fixture config that targets kubernetes, the Plan
// of a new environment made with no cluster (the manifests.yaml artifact, the actions, calls,
// resources and warnings). It needs no cluster: TestFixtureManifestsAccepted sends the same
// manifests to a real API server. Update with go test -update.
func TestGoldenFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range providertest.Fixtures(t, config.ProviderKubernetes) {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			golden.Compare(t, filepath.Join("testdata", "golden", fx.Name+".txt"), goldenPlan(t, fx.Config))
		})
	}
}

// TestGoldenGPUFilesIngress pins a config the fixtures lack: two GPUs with a node selector, a
// file secret, an ingress with a class and host, 512MB of memory (512Mi).
func TestGoldenGPUFilesIngress(t *testing.T) {
	t.Parallel()
	golden.Compare(t, filepath.Join("testdata", "golden", "gpu-files-ingress.txt"), goldenPlan(t, gpuConfig()))
}

func gpuConfig() *config.Config {
	c := testConfig("gpu-envs")
	c.Deployment.Resources.Memory = "512MB"
	two, port := 2, 3000
	c.Deployment.Resources.GPU = &config.GPU{Enabled: true, Type: "nvidia", Count: &two}
	c.Deployment.Volumes.Workspace = &config.Workspace{Size: "50GB"}
	c.Providers.Kubernetes.StorageClass = "fast-ssd"
	c.Providers.Kubernetes.GPUNodeSelector = map[string]string{"nvidia.com/gpu.present": "true"}
	c.Providers.Kubernetes.Ingress = &config.IngressConfig{Enabled: true, Hostname: "pr-7.preview.example.com", ClassName: "nginx", Port: &port}
	c.Secrets = []config.Secret{{Name: "SSH_KEY", Source: config.SecretSourceFile, MountPath: "/alt/home/developer/.ssh/id_ed25519", Permissions: "0600"},
		{Name: "API_TOKEN", Source: config.SecretSourceEnv}}
	return c
}

func goldenPlan(t *testing.T, c *config.Config) []byte {
	t.Helper()
	p, err := New(Config{}) // no kubeconfig: the plan observes nothing
	if err != nil {
		t.Fatal(err)
	}
	s := fixtureSpec(p, "fixture-pr-1", c)
	pl, err := p.Plan(context.Background(), s)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	var b strings.Builder
	b.WriteString("# actions\n")
	for _, a := range pl.Actions {
		b.WriteString(string(a.Action) + " " + a.Resource + ": " + a.Description + "\n")
	}
	b.WriteString("# calls\n" + strings.Join(pl.Calls, "\n") + "\n# resources\n")
	for _, r := range pl.Resources {
		cfg, _ := json.Marshal(r.Config)
		b.WriteString(r.ResourceType + " " + r.Name + " " + string(cfg) + "\n")
	}
	for _, w := range pl.Warnings {
		b.WriteString("warning: " + w + "\n")
	}
	b.WriteString("# " + ArtifactManifests + "\n" + pl.Artifacts[ArtifactManifests])
	out := b.String()
	for _, sv := range append(s.Secrets, s.Credentials...) {
		if strings.Contains(out, sv.Value.Reveal()) {
			t.Errorf("the value of %s is in the plan", sv.Name)
		}
	}
	return []byte(out)
}
