package config

import (
	"strings"
	"testing"
)

func TestDefaultsPerProvider(t *testing.T) {
	t.Parallel()
	cases := []struct {
		provider  string
		mem       string
		workspace string
		path      string
		check     func(t *testing.T, c *Config)
	}{
		{"docker", "4GB", "10GB", WorkspaceDir, func(t *testing.T, c *Config) {
			d := c.Providers.Docker
			if d.Network != "bridge" || d.Restart != "unless-stopped" || d.Runtime != "auto" || d.DinD.Mode != "auto" || d.DinD.StorageSize != "20GB" {
				t.Errorf("docker = %+v dind %+v", d, d.DinD)
			}
		}},
		{"docker-compose", "4GB", "10GB", WorkspaceDir, nil},
		{"devpod", "4GB", "10GB", WorkspaceDir, func(t *testing.T, c *Config) {
			if c.Providers.DevPod.Type != "docker" {
				t.Errorf("devpod type = %q", c.Providers.DevPod.Type)
			}
		}},
		{"kubernetes", "4GB", "10GB", WorkspaceDir, func(t *testing.T, c *Config) {
			if c.Providers.Kubernetes.Namespace != "default" {
				t.Errorf("namespace = %q", c.Providers.Kubernetes.Namespace)
			}
		}},
		{"fly", "2GB", "10GB", WorkspaceDir, func(t *testing.T, c *Config) {
			f := c.Providers.Fly
			if f.Region != "sjc" || !*f.AutoStopMachines || !*f.AutoStartMachines || f.CPUKind != "shared" || *f.SSHPort != 10022 || f.Organization != "personal" {
				t.Errorf("fly = %+v", f)
			}
		}},
		{"e2b", "2GB", "10GB", WorkspaceDir, func(t *testing.T, c *Config) {
			e := c.Providers.E2B
			if e.TemplateAlias != "demo" || *e.Timeout != 300 || !*e.ReuseTemplate || !*e.AutoPause || !*e.AutoResume || *e.BuildOnDeploy {
				t.Errorf("e2b = %+v", e)
			}
		}},
		{"runpod", "2GB", "50GB", "/workspace", func(t *testing.T, c *Config) {
			r := c.Providers.RunPod
			if *r.ContainerDiskGB != 20 || r.CloudType != "COMMUNITY" || *r.SpotBid != 0 || !*r.StartSSH {
				t.Errorf("runpod = %+v", r)
			}
		}},
		{"northflank", "2GB", "10GB", "/workspace", func(t *testing.T, c *Config) {
			n := c.Providers.Northflank
			if n.ProjectName != "" || n.ServiceName != "" || *n.Instances != 1 || n.ComputePlan != "" {
				t.Errorf("northflank = %+v", n)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.provider, func(t *testing.T) {
			t.Parallel()
			c, diags := Load("s.yaml", []byte(strings.Replace(base, "provider: docker", "provider: "+tc.provider, 1)))
			if c == nil {
				t.Fatal(diags.Err())
			}
			r := c.Deployment.Resources
			ws := c.Deployment.Volumes.Workspace
			if r.Memory != tc.mem || r.CPUCount() != 2 || ws.Size != tc.workspace || ws.Path != tc.path {
				t.Errorf("memory %s cpus %d workspace %+v; want %s 2 %s %s", r.Memory, r.CPUCount(), ws, tc.mem, tc.workspace, tc.path)
			}
			if c.Deployment.Distro != "ubuntu" || !c.Extensions.AutoInstallEnabled() {
				t.Errorf("distro %q", c.Deployment.Distro)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestDefaultsDoNotOverride(t *testing.T) {
	t.Parallel()
	src := strings.Replace(base, "provider: docker", "provider: runpod\n  resources:\n    memory: 8GB\n    cpus: 6\n    gpu: {enabled: true, tier: gpu-large}\n  volumes:\n    workspace: {}", 1) +
		"secrets:\n  - {name: V, source: vault, vaultPath: p, vaultKey: k}\n  - {name: F, source: file, path: f, mountPath: /f}\n" +
		"providers:\n  runpod:\n    gpu_type_id: NVIDIA A40\n    cloud_type: SECURE\n"
	c, diags := Load("s.yaml", []byte(src))
	if c == nil {
		t.Fatal(diags.Err())
	}
	g := c.Deployment.Resources.GPU
	if c.Deployment.Resources.MemoryMB() != 8192 || c.Deployment.Resources.CPUCount() != 6 || g.Tier != "gpu-large" || *g.Count != 1 || g.Type != "nvidia" {
		t.Errorf("resources %+v gpu %+v", c.Deployment.Resources, g)
	}
	if ws := c.Deployment.Volumes.Workspace; ws.Size != "10GB" || ws.Path != WorkspaceDir {
		t.Errorf("workspace block without size/path = %+v", ws)
	}
	if c.Secrets[0].VaultMount != "secret" || c.Secrets[1].Permissions != "0644" {
		t.Errorf("secret defaults %+v", c.Secrets)
	}
	if r := c.Providers.RunPod; r.GPUTypeID != "NVIDIA A40" || r.CloudType != "SECURE" {
		t.Errorf("snake_case aliases not read: %+v", r)
	}
}
