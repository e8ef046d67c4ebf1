package docker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// loadCompose parses a rendered compose file with compose-go, the reference implementation.
func loadCompose(t *testing.T, env, text string) *types.Project {
	t.Helper()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  t.TempDir(),
		ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: []byte(text)}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName(env, true) })
	if err != nil {
		t.Fatalf("compose-go rejects the artifact: %v\n%s", err, text)
	}
	return p
}

func TestComposeArtifactGolden(t *testing.T) {
	t.Parallel()
	needEngine(t) // Plan reads the engine (image and container state)
	p := newProvider(t, docker.Config{})
	cases := map[string]func(*config.Config, *providers.Spec){
		"basic": func(c *config.Config, s *providers.Spec) {
			c.Providers.Docker = &config.DockerConfig{Ports: []string{"18080:8080"}, ExtraHosts: []string{"db.local:127.0.0.1"}}
			c.Extensions.Active = []string{"nodejs", "python"}
			s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: secret(secretValue)}}
		},
		"dind-privileged-gpu": func(c *config.Config, s *providers.Spec) {
			c.Providers.Docker = &config.DockerConfig{Privileged: true, Restart: "always",
				DinD: &config.DinDConfig{Enabled: true, Mode: "privileged", StorageDriver: "fuse-overlayfs"}}
			n := 2
			c.Deployment.Resources = config.Resources{Memory: "8GB", CPUs: &n, GPU: &config.GPU{Enabled: true, Count: &n}}
			c.Extensions.Profile = "fullstack"
		},
		"host-network-file-secret": func(c *config.Config, s *providers.Spec) {
			c.Providers.Docker = &config.DockerConfig{Network: "host"}
			s.Secrets = []providers.SecretValue{{Name: "TLS_KEY", Value: secret(secretValue), MountPath: "/secrets/tls.key", Permissions: "0400"}}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := "golden-" + name
			s := newSpec(env, image1, nil)
			mutate(s.Config, s)
			pl, err := p.Plan(t.Context(), s)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			got := pl.Artifacts["docker-compose.yml"]
			if strings.Contains(got, secretValue) {
				t.Fatalf("compose artifact contains a secret value")
			}
			proj := loadCompose(t, env, got)
			if _, err := proj.GetService("sindri"); err != nil {
				t.Fatalf("service sindri: %v", err)
			}
			golden.Compare(t, filepath.Join("testdata", "compose", name+".yml"), []byte(got))
		})
	}
}

// TestComposeArtifactMatchesContainer checks that what Deploy creates is what the compose file
// describes: image, name, ports, environment names, labels, volumes, limits, restart, hosts.
func TestComposeArtifactMatchesContainer(t *testing.T) {
	t.Parallel()
	needEngine(t)
	dir := t.TempDir()
	p := newProvider(t, docker.Config{ComposeDir: dir})
	cli := rawClient(t)
	env := uniqueEnv("compose")
	port := freePort(t)
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)},
			ExtraHosts: []string{"db.local:127.0.0.1"}, Restart: "on-failure"}
		c.Deployment.Resources.Memory = "256MB"
		c.Extensions.Profile = "minimal"
	})
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: secret(secretValue)}}
	deployed(t, p, s, nil)

	b, err := os.ReadFile(filepath.Join(dir, env, "docker-compose.yml"))
	if err != nil {
		t.Fatalf("ComposeDir artifact: %v", err)
	}
	if strings.Contains(string(b), secretValue) {
		t.Fatal("compose file on disk contains the secret value")
	}
	pl, err := p.Plan(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Artifacts["docker-compose.yml"] != string(b) {
		t.Errorf("Plan artifact differs from the file Deploy wrote")
	}
	proj := loadCompose(t, env, string(b))
	svc, err := proj.GetService("sindri")
	if err != nil {
		t.Fatal(err)
	}
	res, err := cli.ContainerInspect(t.Context(), env, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Container
	if svc.Image != c.Config.Image || svc.ContainerName != strings.TrimPrefix(c.Name, "/") {
		t.Errorf("image/name: compose %s %s, container %s %s", svc.Image, svc.ContainerName, c.Config.Image, c.Name)
	}
	var envNames []string
	for k := range svc.Environment {
		envNames = append(envNames, k)
	}
	var ctrNames []string
	for _, kv := range c.Config.Env {
		k, _, _ := strings.Cut(kv, "=")
		if k != "PORT" && k != "PATH" { // from the image
			ctrNames = append(ctrNames, k)
		}
	}
	slices.Sort(envNames)
	slices.Sort(ctrNames)
	if !slices.Equal(envNames, ctrNames) {
		t.Errorf("env names: compose %v, container %v", envNames, ctrNames)
	}
	for k, v := range svc.Labels {
		if c.Config.Labels[k] != v {
			t.Errorf("label %s: compose %q, container %q", k, v, c.Config.Labels[k])
		}
	}
	for k := range c.Config.Labels {
		if _, ok := svc.Labels[k]; !ok && k != docker.LabelConfigHash && !strings.HasPrefix(k, "dev.sindri.test-image") {
			t.Errorf("container label %s missing from compose", k)
		}
	}
	if len(svc.Ports) != 1 {
		t.Fatalf("compose ports = %+v", svc.Ports)
	}
	cp := svc.Ports[0]
	var bound []string
	for port, bs := range c.HostConfig.PortBindings {
		for _, b := range bs {
			bound = append(bound, fmt.Sprintf("%s:%s:%d/%s", b.HostIP, b.HostPort, port.Num(), port.Proto()))
		}
	}
	if want := fmt.Sprintf("%s:%s:%d/%s", cp.HostIP, cp.Published, cp.Target, cp.Protocol); len(bound) != 1 || bound[0] != want {
		t.Errorf("ports: compose %s, container %v", want, bound)
	}
	if len(svc.Volumes) != 1 || len(c.HostConfig.Mounts) != 1 {
		t.Fatalf("volumes: compose %+v, container %+v", svc.Volumes, c.HostConfig.Mounts)
	}
	vol := proj.Volumes[svc.Volumes[0].Source]
	m := c.HostConfig.Mounts[0]
	if m.Type != mount.TypeVolume || vol.Name != m.Source || svc.Volumes[0].Target != m.Target || m.Target != "/alt/home/developer" {
		t.Errorf("volume: compose %s -> %s, container %s -> %s", vol.Name, svc.Volumes[0].Target, m.Source, m.Target)
	}
	lim := svc.Deploy.Resources.Limits
	if int64(lim.MemoryBytes) != c.HostConfig.Memory || int64(float64(lim.NanoCPUs)*1e9) != c.HostConfig.NanoCPUs {
		t.Errorf("limits: compose %d bytes %v cpus, container %d bytes %d nanocpus", lim.MemoryBytes, lim.NanoCPUs, c.HostConfig.Memory, c.HostConfig.NanoCPUs)
	}
	if svc.Restart != string(c.HostConfig.RestartPolicy.Name) {
		t.Errorf("restart: compose %s, container %s", svc.Restart, c.HostConfig.RestartPolicy.Name)
	}
	if got := fmt.Sprint(c.HostConfig.ExtraHosts); !strings.Contains(got, "db.local") || len(svc.ExtraHosts["db.local"]) != 1 {
		t.Errorf("extra hosts: compose %v, container %v", svc.ExtraHosts, c.HostConfig.ExtraHosts)
	}
	if _, ok := svc.Networks[env+"_net"]; !ok || c.NetworkSettings.Networks[env+"_net"] == nil {
		t.Errorf("network: compose %v, container %v", svc.Networks, c.NetworkSettings.Networks)
	}
	if !svc.Tty || !c.Config.Tty || len(svc.Tmpfs) != 1 || c.HostConfig.Tmpfs["/tmp"] == "" {
		t.Errorf("tty/tmpfs: compose %v %v, container %v %v", svc.Tty, svc.Tmpfs, c.Config.Tty, c.HostConfig.Tmpfs)
	}
}
