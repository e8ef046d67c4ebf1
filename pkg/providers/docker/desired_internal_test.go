package docker

import (
	"errors"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

type plainSecret string

func (s plainSecret) Reveal() string { return string(s) }

func intp(n int) *int { return &n }

func baseSpec(mutate func(*config.Config)) *providers.Spec {
	c := &config.Config{Version: "3.0", Name: "demo", Deployment: config.Deployment{Provider: config.ProviderDocker}}
	if mutate != nil {
		mutate(c)
	}
	return &providers.Spec{Env: "demo-pr-7", Config: c, Image: "sindri-test/hello:1",
		Labels: map[string]string{providers.LabelPR: "7"}}
}

func envMap(d *desired) map[string]string {
	m := map[string]string{}
	for _, e := range d.Environment {
		m[e.Name] = e.Value
	}
	return m
}

func TestResolveDefaults(t *testing.T) {
	t.Parallel()
	d, err := resolve(baseSpec(nil), "127.0.0.1", engineFacts{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Memory != "4GB" || d.MemoryBytes != 4<<30 || d.CPUs != 2 {
		t.Errorf("resources = %s (%d bytes), %d cpus; want 4GB, 2", d.Memory, d.MemoryBytes, d.CPUs)
	}
	if d.NetworkMode != "bridge" || d.Network != "demo-pr-7_net" || d.Restart != "unless-stopped" {
		t.Errorf("network %s/%s restart %s", d.NetworkMode, d.Network, d.Restart)
	}
	if d.HomeVolume != "demo-pr-7_home" || d.ContainerName != "demo-pr-7" || d.DinDVolume != "" {
		t.Errorf("names: %s %s %s", d.ContainerName, d.HomeVolume, d.DinDVolume)
	}
	if d.DinD != dindNone || d.Runtime != "" || d.Privileged || d.GPUCount != 0 {
		t.Errorf("dind %s runtime %q privileged %v gpu %d; want none", d.DinD, d.Runtime, d.Privileged, d.GPUCount)
	}
	want := map[string]string{"INIT_WORKSPACE": "true", "INSTALL_PROFILE": "", "SKIP_AUTO_INSTALL": "false"}
	if got := envMap(d); len(got) != len(want) || got["INIT_WORKSPACE"] != "true" || got["SKIP_AUTO_INSTALL"] != "false" {
		t.Errorf("env = %v, want %v", got, want)
	}
	if d.Labels[providers.LabelEnv] != "demo-pr-7" || d.Labels[providers.LabelManagedBy] != providers.ManagedByValue || d.Labels[providers.LabelPR] != "7" {
		t.Errorf("labels = %v", d.Labels)
	}
}

func TestResolveDinD(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		dind       *config.DinDConfig
		privileged bool
		sysbox     bool
		wantMode   dindMode
		wantEnv    map[string]string
		check      func(t *testing.T, d *desired)
	}{
		{name: "disabled", dind: &config.DinDConfig{Enabled: false, Mode: "privileged"}, wantMode: dindNone},
		{name: "auto with sysbox", dind: &config.DinDConfig{Enabled: true}, sysbox: true, wantMode: dindSysbox,
			check: func(t *testing.T, d *desired) {
				if d.Runtime != "sysbox-runc" {
					t.Errorf("runtime = %q", d.Runtime)
				}
			}},
		{name: "auto privileged fallback", dind: &config.DinDConfig{Enabled: true, Mode: "auto"}, privileged: true, wantMode: dindPrivileged,
			check: func(t *testing.T, d *desired) {
				if !d.Privileged || d.DinDVolume != "demo-pr-7_docker" {
					t.Errorf("privileged %v volume %q", d.Privileged, d.DinDVolume)
				}
			}},
		{name: "auto nothing available", dind: &config.DinDConfig{Enabled: true}, wantMode: dindNone,
			check: func(t *testing.T, d *desired) {
				if len(d.warnings) == 0 {
					t.Error("no warning for DinD that cannot be provided")
				}
			}},
		{name: "socket", dind: &config.DinDConfig{Enabled: true, Mode: "socket", StorageDriver: "fuse-overlayfs"}, wantMode: dindSocket,
			wantEnv: map[string]string{"SINDRI_DIND_MODE": "socket", "SINDRI_DIND_STORAGE_DRIVER": "fuse-overlayfs", "SINDRI_DIND_STORAGE_SIZE": "20GB"},
			check: func(t *testing.T, d *desired) {
				if len(d.Binds) != 1 || d.Binds[0] != "/var/run/docker.sock:/var/run/docker.sock" {
					t.Errorf("binds = %v", d.Binds)
				}
			}},
		{name: "privileged with size", dind: &config.DinDConfig{Enabled: true, Mode: "privileged", StorageSize: "50GB", StorageDriver: "vfs"}, wantMode: dindPrivileged,
			wantEnv: map[string]string{"SINDRI_DIND_MODE": "privileged", "SINDRI_DIND_STORAGE_DRIVER": "vfs", "SINDRI_DIND_STORAGE_SIZE": "50GB"}},
	}
	// An explicit sysbox mode on an engine without sysbox-runc is refused rather than run
	// without the isolation it asked for (upstream silently degraded it).
	t.Run("sysbox requested but absent", func(t *testing.T) {
		t.Parallel()
		s := baseSpec(func(c *config.Config) {
			c.Providers.Docker = &config.DockerConfig{DinD: &config.DinDConfig{Enabled: true, Mode: "sysbox"}}
		})
		_, err := resolve(s, "127.0.0.1", engineFacts{runtimes: []string{"runc"}})
		if !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), "no sysbox-runc runtime (it has runc)") {
			t.Errorf("resolve = %v, want an invalid-spec error naming the missing runtime", err)
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := baseSpec(func(c *config.Config) {
				c.Providers.Docker = &config.DockerConfig{DinD: tc.dind, Privileged: tc.privileged}
			})
			d, err := resolve(s, "127.0.0.1", engineFacts{sysbox: tc.sysbox})
			if err != nil {
				t.Fatal(err)
			}
			if d.DinD != tc.wantMode {
				t.Errorf("mode = %s, want %s", d.DinD, tc.wantMode)
			}
			env := envMap(d)
			for k, v := range tc.wantEnv {
				if env[k] != v {
					t.Errorf("env %s = %q, want %q", k, env[k], v)
				}
			}
			if tc.wantMode == dindNone {
				if _, ok := env["SINDRI_DIND_MODE"]; ok {
					t.Errorf("SINDRI_DIND_MODE set with DinD off")
				}
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestResolveRejects(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*providers.Spec){
		"bad env name": func(s *providers.Spec) { s.Env = "Bad_Name" },
		"no image":     func(s *providers.Spec) { s.Image = "" },
		"bad memory":   func(s *providers.Spec) { s.Config.Deployment.Resources.Memory = "lots" },
		"zero cpus":    func(s *providers.Spec) { s.Config.Deployment.Resources.CPUs = intp(0) },
		"bad port":     func(s *providers.Spec) { s.Config.Providers.Docker = &config.DockerConfig{Ports: []string{"80"}} },
		"port zero":    func(s *providers.Spec) { s.Config.Providers.Docker = &config.DockerConfig{Ports: []string{"0:80"}} },
		"duplicate port": func(s *providers.Spec) {
			s.Config.Providers.Docker = &config.DockerConfig{Ports: []string{"80:80", "80:81"}}
		},
		"bad network":    func(s *providers.Spec) { s.Config.Providers.Docker = &config.DockerConfig{Network: "overlay"} },
		"bad restart":    func(s *providers.Spec) { s.Config.Providers.Docker = &config.DockerConfig{Restart: "sometimes"} },
		"sysbox runtime": func(s *providers.Spec) { s.Config.Providers.Docker = &config.DockerConfig{Runtime: "sysbox-runc"} },
		"bad storage driver": func(s *providers.Spec) {
			s.Config.Providers.Docker = &config.DockerConfig{DinD: &config.DinDConfig{Enabled: true, Mode: "privileged", StorageDriver: "fuseoverlayfs"}}
		},
		"secret reserved name": func(s *providers.Spec) {
			s.Secrets = []providers.SecretValue{{Name: "INIT_WORKSPACE", Value: plainSecret("x")}}
		},
		"secret bad mode": func(s *providers.Spec) {
			s.Secrets = []providers.SecretValue{{Name: "K", Value: plainSecret("x"), MountPath: "/k", Permissions: "rw"}}
		},
		"secret relative path": func(s *providers.Spec) {
			s.Secrets = []providers.SecretValue{{Name: "K", Value: plainSecret("x"), MountPath: "k"}}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := baseSpec(nil)
			mutate(s)
			_, err := resolve(s, "127.0.0.1", engineFacts{})
			if !errors.Is(err, providers.ErrInvalidSpec) {
				t.Fatalf("resolve: %v, want ErrInvalidSpec", err)
			}
			if strings.Contains(err.Error(), "x\"") {
				t.Errorf("error may contain a secret: %v", err)
			}
		})
	}
}

func TestResolvePortsNetworkGPU(t *testing.T) {
	t.Parallel()
	s := baseSpec(func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{"8080:80", "0.0.0.0:2222:22", "5353:53/udp"},
			ExtraHosts: []string{"db.local:127.0.0.1"}, Restart: "no", Runtime: "runc"}
		c.Deployment.Resources.GPU = &config.GPU{Enabled: true, Count: intp(2)}
	})
	d, err := resolve(s, "127.0.0.2", engineFacts{})
	if err != nil {
		t.Fatal(err)
	}
	want := []portMapping{{"127.0.0.2", 8080, 80, "tcp"}, {"0.0.0.0", 2222, 22, "tcp"}, {"127.0.0.2", 5353, 53, "udp"}}
	if len(d.Ports) != len(want) {
		t.Fatalf("ports = %+v", d.Ports)
	}
	for i := range want {
		if d.Ports[i] != want[i] {
			t.Errorf("port %d = %+v, want %+v", i, d.Ports[i], want[i])
		}
	}
	if d.GPUCount != 2 || d.Restart != "no" || d.Runtime != "runc" || len(d.ExtraHosts) != 1 {
		t.Errorf("gpu %d restart %s runtime %s hosts %v", d.GPUCount, d.Restart, d.Runtime, d.ExtraHosts)
	}
	opts := d.containerSpec("h")
	if n := len(opts.HostConfig.DeviceRequests); n != 1 || opts.HostConfig.DeviceRequests[0].Count != 2 || opts.HostConfig.DeviceRequests[0].Driver != "nvidia" {
		t.Errorf("device requests = %+v", opts.HostConfig.DeviceRequests)
	}
	if opts.HostConfig.NanoCPUs != 2e9 || opts.HostConfig.Memory != 4<<30 {
		t.Errorf("limits: %d nanocpus, %d bytes", opts.HostConfig.NanoCPUs, opts.HostConfig.Memory)
	}

	host := baseSpec(func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Network: "host", Ports: []string{"8080:80"}}
	})
	d, err = resolve(host, "127.0.0.1", engineFacts{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Network != "" || d.NetworkMode != "host" || len(d.Ports) != 0 || len(d.warnings) == 0 {
		t.Errorf("host mode: network %q mode %s ports %v warnings %v", d.Network, d.NetworkMode, d.Ports, d.warnings)
	}
	if got := d.containerSpec("h").HostConfig.NetworkMode; got != "host" {
		t.Errorf("NetworkMode = %s", got)
	}
}

func TestHashIgnoresJobBookkeeping(t *testing.T) {
	t.Parallel()
	hash := func(mutate func(*providers.Spec)) string {
		s := baseSpec(nil)
		s.Secrets = []providers.SecretValue{{Name: "TOKEN", Value: plainSecret("one")}}
		mutate(s)
		d, err := resolve(s, "127.0.0.1", engineFacts{})
		if err != nil {
			t.Fatal(err)
		}
		d.ImageID = "sha256:abc"
		return d.hash()
	}
	base := hash(func(*providers.Spec) {})
	if got := hash(func(s *providers.Spec) {
		s.Labels[providers.LabelJobID] = "j2"
		s.Labels[providers.LabelGeneration] = "9"
		s.Labels[providers.LabelExpiresAt] = "2030-01-01T00:00:00Z"
	}); got != base {
		t.Errorf("job id / generation / expiry changed the hash")
	}
	if got := hash(func(s *providers.Spec) { s.Secrets[0].Value = plainSecret("two") }); got != base {
		t.Errorf("a secret value changed the hash; values must not feed a label")
	}
	if got := hash(func(s *providers.Spec) { s.Labels[providers.LabelSHA] = "beef" }); got == base {
		t.Errorf("a new sha did not change the hash")
	}
	if got := hash(func(s *providers.Spec) { s.Config.Extensions.Profile = "fullstack" }); got == base {
		t.Errorf("a new profile did not change the hash")
	}
}
