package devpod_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// The images make test-image builds (scripts/build-test-image.sh): busybox, a developer
// user and an entrypoint that succeeds, or fails with exit code 3.
const (
	testImage = "sindri-test/devpod:1"
	failImage = "sindri-test/devpod:fail"
)

// needImages skips without SINDRI_HEAVY and fails when the Docker engine or the test images
// are missing; it returns the devpod binary.
func needImages(t *testing.T) string {
	t.Helper()
	bin := devpodBinary(t)
	for _, img := range []string{testImage, failImage} {
		if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", img).CombinedOutput(); err != nil {
			t.Fatalf("image %s: %v: %s (run make test-image)", img, err, out)
		}
	}
	return bin
}

// realProvider is a provider on the real devpod, with its own DEVPOD_HOME.
func realProvider(t *testing.T, bin string) *devpod.Provider {
	t.Helper()
	return devpod.New(devpod.Config{Binary: bin, Home: t.TempDir(), PollInterval: 200 * time.Millisecond, ReadyTimeout: time.Minute})
}

// dockerLeftovers lists what exists in the engine for env: containers carrying its label
// (by id) and its home volume.
func dockerLeftovers(t *testing.T, env string) []string {
	t.Helper()
	var out []string
	for _, args := range [][]string{
		{"ps", "-aq", "--no-trunc", "--filter", "label=" + providers.LabelEnv + "=" + env},
		{"volume", "ls", "-q", "--filter", "name=^" + env + "-home$"},
	} {
		b, err := exec.Command("docker", args...).Output()
		if err != nil {
			t.Fatalf("docker %v: %v", args, err)
		}
		out = append(out, strings.Fields(string(b))...)
	}
	return out
}

// TestConformanceDevPod runs the shared conformance suite against the real devpod v0.6.15
// and its docker provider, on the locally built test image.
func TestConformanceDevPod(t *testing.T) {
	t.Parallel()
	bin := needImages(t)
	inventory := func(t *testing.T, _ providers.Provider, env string) []string { return dockerLeftovers(t, env) }
	providertest.Conformance(t, providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider { return realProvider(t, bin) },
		NewSpec: func(t *testing.T, env string) *providers.Spec {
			s := dockerSpec(t, env)
			s.Labels = map[string]string{providers.LabelManagedBy: providers.ManagedByValue, providers.LabelPR: "7"}
			return s
		},
		Leftovers:   inventory,
		Inventory:   inventory,
		CancelSweep: 4, // Deploy's progress steps
		Timeout:     3 * time.Minute,
		// Stop stops the workspace's container; the home volume it mounts keeps the marker.
		Persistence: &providertest.Persistence{WriteMarker: writeMarker, ReadMarker: readMarker},
	})
}

// markerFile is where the persistence check writes, in the home the volume holds.
const markerFile = "/alt/home/developer/.sindri-marker"

// writeMarker writes marker into the running workspace's home through devpod ssh (Exec).
func writeMarker(t *testing.T, p providers.Provider, env, marker string) {
	t.Helper()
	execIn(t, p, env, "printf %s "+marker+" > "+markerFile)
}

// readMarker reads back what writeMarker wrote.
func readMarker(t *testing.T, p providers.Provider, env string) string {
	t.Helper()
	return execIn(t, p, env, "cat "+markerFile)
}

func execIn(t *testing.T, p providers.Provider, env, script string) string {
	t.Helper()
	var out, errOut strings.Builder
	code, err := p.(providers.Connector).Exec(t.Context(), &providers.Spec{Env: env}, []string{"sh", "-c", script}, &out, &errOut)
	if err != nil || code != 0 {
		t.Fatalf("exec %q in %s: exit %d, %v: %s", script, env, code, err, errOut.String())
	}
	return out.String()
}

// A workspace whose postStartCommand fails is reported in seconds with devpod's last lines
// (the entrypoint's own stderr among them), and nothing is left behind.
func TestDeployFailingWorkspaceFailsFast(t *testing.T) {
	t.Parallel()
	bin := needImages(t)
	p := realProvider(t, bin)
	s := dockerSpec(t, "devpod-crash-"+randomSuffix(t))
	s.Image = failImage
	t.Cleanup(func() { _ = p.Destroy(t.Context(), s) })
	rec := &providertest.Recorder{}
	start := time.Now()
	_, err := p.Deploy(t.Context(), s, rec)
	took := time.Since(start)
	if !errors.Is(err, providers.ErrWorkloadFailed) || !strings.Contains(err.Error(), "sindri entrypoint: starting") {
		t.Fatalf("Deploy = %v, want ErrWorkloadFailed quoting devpod's last lines (the entrypoint's among them)", err)
	}
	if took > 45*time.Second {
		t.Errorf("the failure took %s, want seconds", took)
	}
	if !strings.Contains(rec.Text(), s.Env+": ") || !strings.Contains(rec.Text(), "fatal: no such profile") {
		t.Errorf("reported lines lack devpod's last lines with the entrypoint's output:\n%s", rec.Text())
	}
	if st, err := p.Status(t.Context(), s); err != nil || st.State != providers.StateNotDeployed {
		t.Errorf("Status after the failed create = %+v, %v; want notdeployed (deleted before returning)", st, err)
	}
	if left := dockerLeftovers(t, s.Env); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	return strings.ToLower(strings.ReplaceAll(time.Now().Format("150405.000"), ".", ""))
}

// An executor whose DEVPOD_HOME does not know the workspace (another executor's, or a
// temporary home gone with its process) still removes the docker backend's container and
// volume, found by label and name: nothing is orphaned by a config-less Destroy.
func TestDestroyWithoutRegistryRemovesContainer(t *testing.T) {
	t.Parallel()
	bin := needImages(t)
	s := dockerSpec(t, "devpod-orphan-"+randomSuffix(t))
	made := realProvider(t, bin)
	if _, err := made.Deploy(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = made.Destroy(t.Context(), s) })
	if left := dockerLeftovers(t, s.Env); len(left) != 2 {
		t.Fatalf("after Deploy: %v, want the container and the volume", left)
	}
	other := realProvider(t, bin)
	if err := other.Destroy(t.Context(), &providers.Spec{Env: s.Env}); err != nil {
		t.Fatalf("Destroy from another DEVPOD_HOME: %v", err)
	}
	if left := dockerLeftovers(t, s.Env); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
