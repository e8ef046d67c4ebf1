package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// fixturesDir holds the repository copy of the shared real-world configs (the workplace's
// shared/fixtures/sindri-configs; TestSharedCopyInSync keeps them equal).
const fixturesDir = "../../testdata/shared/fixtures/sindri-configs"

func fixtureFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixturesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures missing at %s (err %v): the repository copy of the shared fixtures is missing", fixturesDir, err)
	}
	return files
}

type fixtureCase struct {
	// provider is the normalised provider of an accepted file; empty means refused.
	provider ProviderName
	// errField and errText identify the error a refused file must produce.
	errField, errText string
	why               string
	check             func(t *testing.T, c *Config)
}

const (
	whyMissingExt = "upstream v3/examples lack the required extensions block (serde-fatal upstream); we accept with a warning because nothing is ambiguous: no profile is installed"
	whyV2Compose  = "V2 providers.docker-compose block is read as providers.docker (warning) so its port mappings are kept"
	whyAIDev      = "V2 profile ai-dev, dropped by V3, is read as V2's extension list for it (v2Profiles, cited) with a warning giving the V3 spelling"
	whyTier       = "gpu.tier must be one of the four tiers; upstream serde rejects GPU model names as tiers"
	whyOK         = "valid against the contract; only advisory warnings"
)

func wantMem(mem string, cpus int) func(*testing.T, *Config) {
	return func(t *testing.T, c *Config) {
		t.Helper()
		if c.Deployment.Resources.Memory != mem || c.Deployment.Resources.CPUCount() != cpus {
			t.Errorf("resources = %s/%d, want %s/%d", c.Deployment.Resources.Memory, c.Deployment.Resources.CPUCount(), mem, cpus)
		}
	}
}

// wantV2AIDev checks a V2 ai-dev config: V2's twelve extensions become extensions.active, in
// V2's order, and no profile is left for the V3 image to refuse.
func wantV2AIDev(t *testing.T, c *Config) {
	t.Helper()
	want := []string{"nodejs", "python", "golang", "spec-kit", "ollama", "ai-toolkit", "mdflow",
		"openskills", "pal-mcp-server", "supabase-cli", "linear-mcp", "monitoring"}
	if !slices.Equal(c.Extensions.Active, want) || c.Extensions.Profile != "" {
		t.Errorf("extensions = %+v, want active %v and no profile", c.Extensions, want)
	}
}

var fixtureCases = map[string]fixtureCase{
	"v2-custom-frontend-only.sindri.yaml": {provider: ProviderDocker, why: whyV2Compose, check: func(t *testing.T, c *Config) {
		if got := c.Providers.Docker.Ports; !slices.Equal(got, []string{"3000:3000", "5173:5173", "8080:8080"}) {
			t.Errorf("ports from docker-compose block = %v", got)
		}
		if c.Deployment.Provider != ProviderDockerCompose || c.Providers.Docker.Restart != "unless-stopped" {
			t.Errorf("provider %q restart %q", c.Deployment.Provider, c.Providers.Docker.Restart)
		}
	}},
	"v2-custom-polyglot-backend.sindri.yaml":          {provider: ProviderDevPod, why: "V2 devpod/aws; the aws block becomes devpod provider options", check: wantMem("8GB", 4)},
	"v2-custom-rust-wasm.sindri.yaml":                 {provider: ProviderDocker, why: whyV2Compose},
	"v2-devpod-aws-ai-dev-gpu.sindri.yaml":            {provider: ProviderDevPod, why: whyAIDev, check: wantV2AIDev},
	"v2-devpod-aws-minimal.sindri.yaml":               {provider: ProviderDevPod, why: whyOK},
	"v2-devpod-aws-regions-us-east-1.sindri.yaml":     {provider: ProviderDevPod, why: whyOK},
	"v2-devpod-azure-regions-westeurope.sindri.yaml":  {provider: ProviderDevPod, why: whyOK},
	"v2-devpod-digitalocean-regions-sfo3.sindri.yaml": {provider: ProviderDevPod, why: whyOK},
	"v2-devpod-gcp-fullstack.sindri.yaml":             {provider: ProviderDevPod, why: whyOK},
	"v2-devpod-gcp-minimal.sindri.yaml":               {provider: ProviderDevPod, why: whyOK},
	"v2-devpod-kubernetes-devops.sindri.yaml": {provider: ProviderDevPod, why: whyOK, check: func(t *testing.T, c *Config) {
		if k := c.Providers.DevPod.Kubernetes; k == nil || k.Namespace != "devpod-workspaces" || k.StorageClass != "standard" {
			t.Errorf("devpod kubernetes = %+v", k)
		}
	}},
	"v2-devpod-kubernetes-minimal.sindri.yaml": {provider: ProviderDevPod, why: whyOK, check: wantMem("2GB", 1)},
	"v2-docker-agent-browser.sindri.yaml":      {provider: ProviderDocker, why: whyV2Compose + "; top-level metadata warned and ignored"},
	"v2-docker-anthropic-dev.sindri.yaml":      {provider: ProviderDocker, why: whyV2Compose},
	"v2-docker-devops.sindri.yaml": {provider: ProviderDocker, why: "V2 docker-compose provider with a V3 providers.docker block", check: func(t *testing.T, c *Config) {
		if d := c.Providers.Docker.DinD; d == nil || !d.Enabled || d.Mode != "auto" || d.StorageSize != "20GB" {
			t.Errorf("dind = %+v", d)
		}
	}},
	"v2-docker-dind-socket.sindri.yaml": {provider: ProviderDocker, why: whyOK},
	"v2-docker-enterprise.sindri.yaml":  {provider: ProviderDocker, why: whyV2Compose},
	"v2-docker-gpu-ai-dev.sindri.yaml":  {provider: ProviderDocker, why: whyAIDev, check: wantV2AIDev},
	"v2-docker-mobile.sindri.yaml":      {provider: ProviderDocker, why: whyV2Compose},
	"v2-docker-systems.sindri.yaml":     {provider: ProviderDocker, why: whyV2Compose},
	"v2-e2b-cost-optimized.sindri.yaml": {provider: ProviderE2B, why: whyOK, check: func(t *testing.T, c *Config) {
		if e := c.Providers.E2B; e.TemplateAlias != "sindri-cost-opt" || *e.Timeout != 300 || !*e.AutoPause {
			t.Errorf("e2b = %+v", e)
		}
	}},
	"v2-e2b-fullstack.sindri.yaml": {provider: ProviderE2B, why: whyOK},
	"v2-e2b-secure.sindri.yaml":    {provider: ProviderE2B, why: whyOK},
	"v2-fly-fullstack.sindri.yaml": {provider: ProviderFly, why: whyOK},
	"v2-fly-minimal.sindri.yaml": {provider: ProviderFly, why: whyOK, check: func(t *testing.T, c *Config) {
		if c.Deployment.Resources.MemoryMB() != 1024 || *c.Providers.Fly.SSHPort != 10022 || c.Providers.Fly.Organization != "personal" {
			t.Errorf("fly defaults: mem %d fly %+v", c.Deployment.Resources.MemoryMB(), c.Providers.Fly)
		}
	}},
	"v2-fly-production.sindri.yaml": {provider: ProviderFly, why: whyOK, check: func(t *testing.T, c *Config) {
		if c.Deployment.Image != "registry.fly.io/sindri:latest" || c.Deployment.Volumes.Workspace.Path != "/workspace" || len(c.Secrets) != 8 {
			t.Errorf("image %q workspace %+v secrets %d", c.Deployment.Image, c.Deployment.Volumes.Workspace, len(c.Secrets))
		}
	}},
	"v2-fly-regions-iad.sindri.yaml":                      {provider: ProviderFly, why: whyOK},
	"v2-fly-systems.sindri.yaml":                          {provider: ProviderFly, why: whyOK},
	"v2-k8s-kind-minimal.sindri.yaml":                     {provider: ProviderDevPod, why: "providers.k8s parsed and warned as unused (it describes a local cluster)"},
	"v2-profiles-devops.sindri.yaml":                      {provider: ProviderFly, why: whyOK},
	"v2-profiles-fullstack.sindri.yaml":                   {provider: ProviderFly, why: whyOK},
	"v2-profiles-vision-flow-visionflow-core.sindri.yaml": {provider: ProviderDocker, why: whyOK},
	"v2-profiles-vision-flow-visionflow-data-scientist.sindri.yaml": {provider: ProviderDocker,
		why: "misplaced deployment.gpu is warned and ignored, as upstream ignores it (honouring it would demand a GPU host)",
		check: func(t *testing.T, c *Config) {
			if c.GPUEnabled() {
				t.Error("misplaced deployment.gpu must not enable a GPU")
			}
		}},
	"v3-devpod-aws.sindri.yaml": {provider: ProviderDevPod, why: whyOK, check: func(t *testing.T, c *Config) {
		if s := c.Secrets[2]; s.Source != SecretSourceFile || s.Permissions != "0600" || s.MountPath == "" {
			t.Errorf("file secret = %+v", s)
		}
	}},
	"v3-devpod-aws.yaml":          {provider: ProviderDevPod, why: whyMissingExt},
	"v3-devpod-azure.yaml":        {provider: ProviderDevPod, why: whyMissingExt},
	"v3-devpod-digitalocean.yaml": {provider: ProviderDevPod, why: whyMissingExt},
	"v3-devpod-docker.yaml":       {provider: ProviderDevPod, why: whyMissingExt},
	"v3-devpod-gcp.yaml":          {provider: ProviderDevPod, why: whyMissingExt},
	"v3-docker-basic.sindri.yaml": {provider: ProviderDocker, why: whyOK, check: func(t *testing.T, c *Config) {
		if c.Deployment.Resources.MemoryBytes() != 4*GiB || c.Providers.Docker.Network != "bridge" || !c.Extensions.AutoInstallEnabled() {
			t.Errorf("docker basic: %+v %+v", c.Deployment.Resources, c.Providers.Docker)
		}
	}},
	"v3-docker-basic.yaml": {provider: ProviderDocker, why: whyMissingExt},
	"v3-docker-gpu-dind.sindri.yaml": {provider: ProviderDocker, why: "docker supports NVIDIA GPUs; gpu.memory warned as unused", check: func(t *testing.T, c *Config) {
		if c.GPUCount() != 1 || c.Deployment.Resources.GPU.Tier != "gpu-small" || len(c.Extensions.Active) != 12 {
			t.Errorf("gpu %+v active %d", c.Deployment.Resources.GPU, len(c.Extensions.Active))
		}
	}},
	"v3-e2b-basic.yaml": {provider: ProviderE2B, why: whyMissingExt, check: func(t *testing.T, c *Config) {
		if c.Providers.E2B.TemplateAlias != "e2b-dev" {
			t.Errorf("template alias default = %q", c.Providers.E2B.TemplateAlias)
		}
	}},
	"v3-e2b-sandbox.sindri.yaml": {provider: ProviderE2B, why: whyOK, check: func(t *testing.T, c *Config) {
		if c.Providers.E2B.Metadata["purpose"] != "agent-sandbox" {
			t.Errorf("metadata = %v", c.Providers.E2B.Metadata)
		}
	}},
	"v3-fly-basic.yaml": {provider: ProviderFly, why: whyMissingExt, check: wantMem("4GB", 2)},
	"v3-fly-production.sindri.yaml": {provider: ProviderFly, why: "autoInstall (camelCase) honoured with a warning", check: func(t *testing.T, c *Config) {
		ic := c.Deployment.ImageConfig
		if ic == nil || ic.Registry != DefaultImageRegistry || ic.PullPolicy != "Always" || ic.CertificateOIDCIssuer == "" || *c.Extensions.AutoInstall != true {
			t.Errorf("image_config = %+v", ic)
		}
	}},
	"v3-k8s-vault-ingress.sindri.yaml": {provider: ProviderKubernetes, why: "vault secret accepted; vaultPath with secret/data/ prefix warned", check: func(t *testing.T, c *Config) {
		if c.Secrets[0].VaultMount != "secret" || c.Providers.Kubernetes.Namespace != "sindri-dev" || c.Deployment.Volumes.Workspace.Size != "20GB" {
			t.Errorf("k8s: %+v %+v", c.Secrets[0], c.Providers.Kubernetes)
		}
	}},
	"v3-northflank-autoscaling.yaml": {provider: ProviderNorthflank, why: whyMissingExt},
	"v3-northflank-basic.yaml": {provider: ProviderNorthflank, why: whyMissingExt, check: func(t *testing.T, c *Config) {
		n := c.Providers.Northflank
		if n.ProjectName != "sindri-dev" || n.ServiceName != "my-workspace" || *n.Instances != 1 || c.Deployment.Volumes.Workspace.Path != "/workspace" {
			t.Errorf("northflank = %+v", n)
		}
	}},
	"v3-northflank-full.yaml": {provider: ProviderNorthflank, why: whyMissingExt},
	"v3-northflank-gpu.yaml": {provider: ProviderNorthflank, why: "gpuType nvidia-a100-40gb (upstream's spelling) is read as a100-40, with a warning", check: func(t *testing.T, c *Config) {
		if g := c.NorthflankGPU(); g.Type != "a100-40" || g.Count != 1 || g.Note == "" || g.Err != "" {
			t.Errorf("gpu = %+v", g)
		}
	}},
	"v3-northflank-systems.sindri.yaml": {errField: "providers.northflank.healthCheck.type", errText: `unknown health check type "TCP"`, why: "health check types are lowercase (serde exact match); hint names tcp"},
	"v3-provider-comparison.yaml":       {errField: "providers.northflank.gpuType", errText: `gpuType "nvidia-a4000" is not a Northflank GPU type`, why: "Northflank has no A4000: neither the tier nor the gpuType names a Northflank GPU"},
	"v3-runpod-a100-training.yaml": {provider: ProviderRunPod, why: "tier a100 maps to the exact id; the misspelt gpuType gives way with a warning", check: func(t *testing.T, c *Config) {
		if g := c.RunPodGPU(); g.ID != "NVIDIA A100 80GB PCIe" || g.Count != 1 || g.Problem == "" {
			t.Errorf("gpu = %+v", g)
		}
	}},
	"v3-runpod-cpu-only.yaml": {provider: ProviderRunPod, why: whyMissingExt, check: func(t *testing.T, c *Config) {
		r := c.Providers.RunPod
		if *r.ContainerDiskGB != 20 || r.CloudType != "COMMUNITY" || c.Deployment.Volumes.Workspace.Size != "50GB" || c.GPUEnabled() {
			t.Errorf("runpod = %+v ws %+v", r, c.Deployment.Volumes.Workspace)
		}
	}},
	"v3-runpod-enterprise.sindri.yaml": {provider: ProviderRunPod, why: "autoInstall honoured; cpuOnly warned as unused", check: func(t *testing.T, c *Config) {
		if r := c.Providers.RunPod; r.CloudType != "SECURE" || !slices.Equal(r.ExposePorts, []int{8080, 3000, 5173}) {
			t.Errorf("runpod = %+v", r)
		}
	}},
	"v3-runpod-gpu-basic.yaml": {provider: ProviderRunPod, why: "tier a4000 and gpuType agree on the exact id", check: func(t *testing.T, c *Config) {
		if g := c.RunPodGPU(); g.ID != "NVIDIA RTX A4000" || g.Problem != "" || *c.Providers.RunPod.VolumeSizeGB != 50 {
			t.Errorf("gpu = %+v", g)
		}
	}},
	"v3-runpod-spot.yaml": {provider: ProviderRunPod, why: "tier rtx4090 maps to the GeForce id; the misspelt gpuType gives way with a warning", check: func(t *testing.T, c *Config) {
		if g := c.RunPodGPU(); g.ID != "NVIDIA GeForce RTX 4090" || g.Problem == "" {
			t.Errorf("gpu = %+v", g)
		}
	}},
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	files := fixtureFiles(t)
	if len(files) != len(fixtureCases) {
		t.Errorf("%d fixture files, %d table rows", len(files), len(fixtureCases))
	}
	for _, f := range files {
		name := filepath.Base(f)
		tc, ok := fixtureCases[name]
		if !ok {
			t.Errorf("fixture %s has no row in fixtureCases: decide its outcome", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if tc.why == "" {
				t.Fatal("row needs a why")
			}
			c, diags, err := LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if tc.provider == "" {
				if c != nil || !diags.HasErrors() {
					t.Fatalf("accepted, want refusal on %s", tc.errField)
				}
				for _, d := range diags.Errors() {
					if d.Field == tc.errField && strings.Contains(d.Message, tc.errText) && d.Line > 0 && d.File == f {
						return
					}
				}
				t.Fatalf("no error %s: %q among:\n%v", tc.errField, tc.errText, diags.Errors())
			}
			if c == nil {
				t.Fatalf("refused, want accepted:\n%v", diags.Errors())
			}
			if got := c.ProviderName(); got != tc.provider {
				t.Errorf("ProviderName() = %q, want %q", got, tc.provider)
			}
			// Defaults every accepted config must carry.
			r := c.Deployment.Resources
			if r.MemoryBytes() == 0 || r.CPUCount() == 0 || c.Deployment.Volumes.Workspace == nil ||
				c.Deployment.Volumes.Workspace.Size == "" || c.Extensions.AutoInstall == nil || c.Source == nil {
				t.Errorf("defaults not applied: resources %+v workspace %+v", r, c.Deployment.Volumes.Workspace)
			}
			checkFixtureOutcome(t, f, tc, c, diags)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// checkFixtureOutcome asserts, for every accepted fixture, what follows from the keys it sets:
// the provider's defaults for each resource it leaves out, the released image (and its
// warning) when it names none, and the warnings its row's reason promises.
func checkFixtureOutcome(t *testing.T, file string, tc fixtureCase, c *Config, diags Diagnostics) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	has := func(path ...string) bool {
		var cur any = doc
		for _, k := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				return false
			}
			if cur, ok = m[k]; !ok {
				return false
			}
		}
		return true
	}
	warned := func(field, text string) bool {
		for _, d := range diags.Warnings() {
			if d.Field == field && strings.Contains(d.Message, text) {
				return true
			}
		}
		return false
	}
	rd := defaultsFor[c.ProviderName()]
	if !has("deployment", "resources", "memory") && c.Deployment.Resources.Memory != rd.memory {
		t.Errorf("memory %q, want the %s default %q", c.Deployment.Resources.Memory, c.ProviderName(), rd.memory)
	}
	if !has("deployment", "resources", "cpus") && c.Deployment.Resources.CPUCount() != rd.cpus {
		t.Errorf("cpus %d, want the %s default %d", c.Deployment.Resources.CPUCount(), c.ProviderName(), rd.cpus)
	}
	if !has("deployment", "volumes", "workspace") && c.Deployment.Volumes.Workspace.Size != rd.workspaceSize {
		t.Errorf("workspace size %q, want the %s default %q", c.Deployment.Volumes.Workspace.Size, c.ProviderName(), rd.workspaceSize)
	}
	if needsImage[c.ProviderName()] && !has("deployment", "image") && !has("deployment", "image_config") {
		if want := DefaultImageFor(c.Deployment.Distro); c.Deployment.Image != want || !warned("deployment.image", want) {
			t.Errorf("image %q (warned: %v), want the released %s with a warning", c.Deployment.Image, warned("deployment.image", want), want)
		}
	} else if !needsImage[c.ProviderName()] && !has("deployment", "image") && c.Deployment.Image != "" {
		t.Errorf("image %q set for %s, which does not run one", c.Deployment.Image, c.ProviderName())
	}
	switch {
	case tc.why == whyMissingExt && !warned("extensions", "extensions block is missing"):
		t.Errorf("no warning about the missing extensions block among %v", diags.Warnings())
	case tc.why == whyV2Compose && !warned("providers.docker-compose", "V2 name of providers.docker"):
		t.Errorf("no warning about providers.docker-compose among %v", diags.Warnings())
	}
	if has("extensions", "autoInstall") && !warned("extensions.autoInstall", "autoInstall") {
		t.Errorf("no warning about extensions.autoInstall among %v", diags.Warnings())
	}
}

func TestFixtureDirIsReal(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(fixturesDir); err != nil {
		t.Fatalf("fixtures dir: %v", err)
	}
}
