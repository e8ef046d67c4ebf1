package devpod_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli/clitest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// loadDevPod loads a sindri.yaml whose providers.devpod block is block.
func loadDevPod(t *testing.T, block string) *config.Config {
	t.Helper()
	y := "version: \"3.0\"\nname: devpod-test\ndeployment:\n  provider: devpod\n  image: sindri-test/devpod:1\nproviders:\n  devpod:\n" + block
	c, diags := config.Load("sindri.yaml", []byte(y))
	if c == nil {
		t.Fatalf("config does not load: %v\n%s", diags, y)
	}
	return c
}

func dockerSpec(t *testing.T, env string) *providers.Spec {
	t.Helper()
	return &providers.Spec{Env: env, Config: loadDevPod(t, "    type: docker\n"), Image: "sindri-test/devpod:1"}
}

func TestMissingBinaryNamesTheSetting(t *testing.T) {
	t.Parallel()
	p := devpod.New(devpod.Config{Binary: "devpod-not-installed", Home: t.TempDir(), PATH: t.TempDir()})
	_, err := p.Deploy(t.Context(), dockerSpec(t, "missing-bin"), nil)
	var nf *cli.BinaryNotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), `provider "devpod" { binary }`) {
		t.Fatalf("Deploy = %v, want a BinaryNotFoundError naming the binary setting", err)
	}
	r := p.Check(t.Context())
	if r.Ready || len(r.Problems) == 0 || !strings.Contains(r.Problems[0], "devpod-not-installed") {
		t.Errorf("Check = %+v, want not ready naming the binary", r)
	}
}

func TestCheckReportsVersion(t *testing.T) {
	t.Parallel()
	fake := fakeDevpod(t, "docker", nil, 0)
	r := devpod.New(devpod.Config{Binary: fake.Path, Home: t.TempDir()}).Check(t.Context())
	if !r.Ready || r.Version != "v0.6.15" {
		t.Errorf("Check = %+v, want ready at v0.6.15", r)
	}
}

func TestUnknownBackendAndMissingOptions(t *testing.T) {
	t.Parallel()
	p := devpod.New(devpod.Config{Binary: "devpod", Home: t.TempDir()})
	for _, tc := range []struct {
		name  string
		block string
		want  []string
	}{
		{"gcp without project", "    type: gcp\n    gcp: {zone: us-central1-a}\n", []string{"providers.devpod.gcp.project", "CLOUDSDK_CORE_PROJECT", "PROJECT"}},
		{"ssh without host", "    type: ssh\n", []string{"providers.devpod.ssh.host", "HOST"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Plan(t.Context(), &providers.Spec{Env: "opts", Config: loadDevPod(t, tc.block), Image: "i"})
			if !errors.Is(err, providers.ErrInvalidSpec) {
				t.Fatalf("Plan = %v, want ErrInvalidSpec", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
	// The config refuses an unknown type; a config built in code reaches the provider.
	c := loadDevPod(t, "    type: docker\n")
	c.Providers.DevPod.Type = "openstack"
	_, err := p.Deploy(t.Context(), &providers.Spec{Env: "unknown", Config: c, Image: "i"}, nil)
	if !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), `"openstack"`) || !strings.Contains(err.Error(), "known: aws, azure, digitalocean, docker, gcp, kubernetes, ssh") {
		t.Errorf("Deploy of an unknown backend = %v, want ErrInvalidSpec listing the known ones", err)
	}
}

// A machine backend on a temporary DEVPOD_HOME would orphan its VM: refused.
func TestMachineBackendNeedsPersistentHome(t *testing.T) {
	t.Parallel()
	p := devpod.New(devpod.Config{Binary: "devpod"})
	_, err := p.Plan(t.Context(), &providers.Spec{Env: "vm", Config: loadDevPod(t, "    type: aws\n    aws: {region: us-west-2}\n"), Image: "i"})
	if !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), "home setting") {
		t.Errorf("Plan = %v, want ErrInvalidSpec naming the home setting", err)
	}
}

// An option devpod's provider does not define is refused (devpod itself only warns).
func TestUnknownOptionRefused(t *testing.T) {
	t.Parallel()
	fake := fakeDevpod(t, "kubernetes", nil, 1, clitest.Rule{Args: []string{"provider", "options", "kubernetes"}, Stdout: `{"KUBERNETES_NAMESPACE": {}}`})
	p := devpod.New(devpod.Config{Binary: fake.Path, Home: t.TempDir()})
	s := &providers.Spec{Env: "k8s", Config: loadDevPod(t, "    type: kubernetes\n    kubernetes: {storageClass: fast}\n"), Image: "i"}
	_, err := p.Deploy(t.Context(), s, nil)
	if !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), "STORAGE_CLASS") {
		t.Errorf("Deploy = %v, want ErrInvalidSpec naming STORAGE_CLASS", err)
	}
}

// A failed first up is deleted before Deploy returns, devpod's last lines are reported and
// the error quotes the reason devpod printed on stdout.
func TestFailedUpIsDeletedWithDevpodsOutput(t *testing.T) {
	t.Parallel()
	fake := fakeDevpod(t, "docker", nil, 1, clitest.Rule{Args: []string{"up"},
		Stdout:   "\x1b[0;1;36minfo \x1b[0mRun command : /docker/scripts/entrypoint.sh...\n\x1b[0;1;36minfo \x1b[0mlifecycle hooks: failed to run: /docker/scripts/entrypoint.sh, error: exit status 3\n",
		Stderr:   "\x1b[0;1;31mfatal \x1b[0mrun agent command: Process exited with status 1\n",
		ExitCode: 1})
	p := devpod.New(devpod.Config{Binary: fake.Path, Home: t.TempDir(), DockerBinary: fake.Path})
	rec := &providertest.Recorder{}
	_, err := p.Deploy(t.Context(), dockerSpec(t, "fails"), rec)
	if !errors.Is(err, providers.ErrWorkloadFailed) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Deploy = %v, want ErrWorkloadFailed quoting devpod's reason", err)
	}
	if !slices.Contains(rec.Lines(), "fails: info lifecycle hooks: failed to run: /docker/scripts/entrypoint.sh, error: exit status 3") {
		t.Errorf("reported lines %q lack devpod's reason, prefixed with the workspace", rec.Lines())
	}
	var deleted bool
	for _, c := range fake.Calls(t) {
		deleted = deleted || slices.Equal(c.Args, []string{"delete", "fails", "--force", "--ignore-not-found"})
	}
	if !deleted {
		t.Errorf("the failed workspace was not deleted; calls %v", fake.Calls(t))
	}
}

// Secrets go through a --workspace-env-file, never argv or the devcontainer.json.
func TestSecretsGoThroughWorkspaceEnvFile(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-value-for-env-file"
	fake := fakeDevpod(t, "docker", []string{secret}, 1)
	home := filepath.Join(t.TempDir(), "home")
	p := devpod.New(devpod.Config{Binary: fake.Path, Home: home})
	s := dockerSpec(t, "secrets")
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary(secret)}}
	if _, err := p.Deploy(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	var up *clitest.Call
	for _, c := range fake.Calls(t) {
		if c.Args[0] == "up" {
			up = &c
		}
	}
	if up == nil || !slices.Contains(up.Args, "--workspace-env-file") || strings.Contains(strings.Join(up.Args, " "), "[redacted]") {
		t.Fatalf("up call %+v: want --workspace-env-file and no secret in argv", up)
	}
	dc, err := os.ReadFile(filepath.Join(home, "sindri", "secrets", "src", ".devcontainer", "devcontainer.json"))
	if err != nil || strings.Contains(string(dc), secret) || strings.Contains(string(dc), "API_TOKEN") {
		t.Errorf("devcontainer.json (%v) holds the secret:\n%s", err, dc)
	}
}
