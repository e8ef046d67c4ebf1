package docker_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

const secretValue = "s3cr3t-value-do-not-print"

func TestDeployIsIdempotentAndReachable(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("idem")
	port := freePort(t)
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
		c.Extensions.Profile = "minimal"
		c.Extensions.Active = []string{"nodejs", "python"}
		c.Deployment.BuildFromSource = &config.BuildFromSource{GitRef: "v3.1.3"}
	})
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: secret(secretValue)}}
	r := &logReporter{}
	ctx := testCtx(t)

	d1 := deployed(t, p, s, r)
	if !d1.Changed || d1.State != providers.StateRunning {
		t.Fatalf("first Deploy: Changed=%v State=%v, want true running", d1.Changed, d1.State)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if d1.Connection == nil || d1.Connection.HTTPURL != url {
		t.Fatalf("Connection = %+v, want HTTPURL %s", d1.Connection, url)
	}
	if !strings.Contains(d1.Connection.ExecCommand, "exec -it") || !strings.HasSuffix(d1.Connection.ExecCommand, env+" bash -l") {
		t.Errorf("ExecCommand = %q", d1.Connection.ExecCommand)
	}
	if got := httpGet(t, url+"/"); !strings.HasPrefix(got, "sindri-test ok ") || !strings.Contains(got, "v1") {
		t.Errorf("GET / = %q, want sindri-test ok ... v1", got)
	}
	for _, name := range []string{"INIT_WORKSPACE", "INSTALL_PROFILE", "CUSTOM_EXTENSIONS", "SKIP_AUTO_INSTALL", "SINDRI_SOURCE_REF", "API_TOKEN"} {
		if got := httpGet(t, url+"/env-check?name="+name); got != name+" set=true\n" {
			t.Errorf("env-check %s = %q, want set", name, got)
		}
	}
	for _, name := range []string{"ADDITIONAL_EXTENSIONS", "SINDRI_DIND_MODE"} {
		if got := httpGet(t, url+"/env-check?name="+name); got != name+" set=false\n" {
			t.Errorf("env-check %s = %q, want unset", name, got)
		}
	}

	d2, err := p.Deploy(ctx, s, r)
	if err != nil {
		t.Fatalf("second Deploy: %v", err)
	}
	if d2.Changed || d2.Handle != d1.Handle {
		t.Errorf("second Deploy: Changed=%v handle=%s, want false and %s", d2.Changed, d2.Handle, d1.Handle)
	}

	st, err := p.Status(ctx, s)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if st.State != providers.StateRunning || st.Image != image1 || st.Timestamps.StartedAt == nil {
		t.Errorf("Status = %+v, want running %s with a start time", st, image1)
	}
	if st.Resources == nil || st.Resources.MemoryBytes == nil || st.Resources.CPUPercent == nil {
		t.Errorf("Status.Resources = %+v, want cpu and memory", st.Resources)
	}
	if len(st.Addresses) != 1 || st.Addresses[0].Value != url || st.Addresses[0].Port != port {
		t.Errorf("Status.Addresses = %+v, want %s", st.Addresses, url)
	}

	pl, err := p.Plan(ctx, s)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	for _, a := range pl.Actions {
		if a.Action != providers.ActionNone {
			t.Errorf("Plan of an up-to-date env: action %+v, want none", a)
		}
	}
	for what, text := range map[string]string{"reporter log": r.text(), "compose artifact": pl.Artifacts["docker-compose.yml"],
		"plan calls": strings.Join(pl.Calls, "\n"), "deployment": fmt.Sprintf("%+v %+v", d1, d1.Connection)} {
		if strings.Contains(text, secretValue) {
			t.Errorf("%s contains the secret value", what)
		}
	}
	if !strings.Contains(pl.Artifacts["docker-compose.yml"], "API_TOKEN") {
		t.Errorf("compose artifact does not name the secret API_TOKEN")
	}
}

func TestNewImageRecreatesAndKeepsVolume(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	env := uniqueEnv("image")
	port := freePort(t)
	ports := func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	}
	ctx := testCtx(t)
	d1 := deployed(t, p, newSpec(env, image1, ports), nil)

	marker := writeHomeMarker(t, cli, env)

	d2, err := p.Deploy(ctx, newSpec(env, image2, ports), nil)
	if err != nil {
		t.Fatalf("Deploy with new image: %v", err)
	}
	if !d2.Changed || d2.Handle == d1.Handle {
		t.Fatalf("Deploy with new image: Changed=%v handle %s (old %s), want a new container", d2.Changed, d2.Handle, d1.Handle)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(got, "v2") {
		t.Errorf("GET / after image change = %q, want v2", got)
	}
	if got := readFile(t, cli, env, "/alt/home/developer/marker"); got != marker {
		t.Errorf("marker after recreate = %q, want %q (home volume kept)", got, marker)
	}
	// Only one container of the env remains.
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", providers.LabelEnv+"="+env)})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Items) != 1 {
		t.Errorf("containers of %s after recreate: %d, want 1", env, len(cs.Items))
	}
	// A changed setting (not the image) recreates too.
	d3, err := p.Deploy(ctx, newSpec(env, image2, func(c *config.Config) {
		ports(c)
		c.Deployment.Resources.Memory = "512MB"
	}), nil)
	if err != nil {
		t.Fatalf("Deploy with new memory: %v", err)
	}
	if !d3.Changed || d3.Handle == d2.Handle {
		t.Errorf("Deploy with new memory: Changed=%v, want a new container", d3.Changed)
	}
	res, err := cli.ContainerInspect(ctx, env, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Container.HostConfig.Memory; got != 512<<20 {
		t.Errorf("memory limit = %d, want %d", got, 512<<20)
	}
}

// writeHomeMarker writes a file into the home volume of container env and returns its content.
func writeHomeMarker(t *testing.T, cli *client.Client, env string) string {
	t.Helper()
	marker := "kept-" + env
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "alt/home/developer/marker", Mode: 0o644, Size: int64(len(marker)), Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte(marker))
	_ = tw.Close()
	if _, err := cli.CopyToContainer(t.Context(), env, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
		t.Fatalf("write marker: %v", err)
	}
	return marker
}

func readFile(t *testing.T, cli *client.Client, ctr, path string) string {
	t.Helper()
	res, err := cli.CopyFromContainer(t.Context(), ctr, client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	if _, err := tr.Next(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	b, _ := io.ReadAll(tr)
	return string(b)
}

func TestStopStart(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("stop")
	port := freePort(t)
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	})
	ctx := testCtx(t)
	wantErrIs(t, p.Stop(ctx, s), providers.ErrNotFound)
	wantErrIs(t, p.Start(ctx, s), providers.ErrNotFound)
	deployed(t, p, s, nil)
	if err := p.Stop(ctx, s); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st, err := p.Status(ctx, s)
	if err != nil || st.State != providers.StateStopped || st.Timestamps.StoppedAt == nil {
		t.Fatalf("Status after Stop = %+v, %v; want stopped with a stop time", st, err)
	}
	if err := p.Stop(ctx, s); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := p.Start(ctx, s); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.HasPrefix(got, "sindri-test ok") {
		t.Errorf("GET after Start = %q", got)
	}
	// Deploying a stopped, up-to-date env starts it without recreating it.
	if err := p.Stop(ctx, s); err != nil {
		t.Fatal(err)
	}
	d, err := p.Deploy(ctx, s, nil)
	if err != nil || d.State != providers.StateRunning {
		t.Fatalf("Deploy of stopped env: %+v, %v", d, err)
	}
}

func TestDestroyRemovesOnlyOwnResources(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	ctx := testCtx(t)
	envA, envB := uniqueEnv("destroy-a"), uniqueEnv("destroy-b")
	sA, sB := newSpec(envA, image1, nil), newSpec(envB, image1, nil)

	if err := p.Destroy(ctx, sA); err != nil {
		t.Fatalf("Destroy of nothing: %v", err)
	}
	deployed(t, p, sA, nil)
	deployed(t, p, sB, nil)
	// Foreign things with look-alike names: an unlabelled container, a volume and a network
	// named like upstream's over-broad patterns, and one labelled for env A but not managed by us.
	foreign := envA + "-foreign"
	if _, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: foreign, Image: image1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cli.ContainerRemove(context.Background(), foreign, client.ContainerRemoveOptions{Force: true})
	})
	fnet := "sindri_" + envA + "_default"
	if _, err := cli.NetworkCreate(ctx, fnet, client.NetworkCreateOptions{Driver: "bridge",
		Labels: map[string]string{providers.LabelEnv: envA}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.NetworkRemove(context.Background(), fnet, client.NetworkRemoveOptions{}) })
	fvol := "x_" + envA + "_home"
	if _, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: fvol}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.VolumeRemove(context.Background(), fvol, client.VolumeRemoveOptions{Force: true}) })

	for i := 1; i <= 2; i++ {
		if err := p.Destroy(ctx, sA); err != nil {
			t.Fatalf("Destroy #%d: %v", i, err)
		}
	}
	st, err := p.Status(ctx, sA)
	if err != nil || st.State != providers.StateNotDeployed {
		t.Fatalf("Status after Destroy = %+v, %v; want notdeployed", st, err)
	}
	if _, err := cli.ContainerInspect(ctx, foreign, client.ContainerInspectOptions{}); err != nil {
		t.Errorf("foreign container gone: %v", err)
	}
	if _, err := cli.NetworkInspect(ctx, fnet, client.NetworkInspectOptions{}); err != nil {
		t.Errorf("foreign network gone: %v", err)
	}
	if _, err := cli.VolumeInspect(ctx, fvol, client.VolumeInspectOptions{}); err != nil {
		t.Errorf("foreign volume gone: %v", err)
	}
	if st, err := p.Status(ctx, sB); err != nil || st.State != providers.StateRunning {
		t.Errorf("other env after Destroy: %+v, %v; want running", st, err)
	}
	left := leftovers(t, cli, envA)
	if len(left) != 1 || left[0] != "network "+fnet {
		t.Errorf("resources labelled %s after Destroy: %v, want only the foreign network", envA, left)
	}
}

func TestForeignContainerWithEnvNameIsAConflict(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	ctx := testCtx(t)
	env := uniqueEnv("foreign")
	if _, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: env, Image: image1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = cli.ContainerRemove(context.Background(), env, client.ContainerRemoveOptions{Force: true})
	})
	s := newSpec(env, image1, nil)
	destroyOnCleanup(t, p, s)
	_, err := p.Deploy(ctx, s, nil)
	wantErrIs(t, err, providers.ErrConflict)
	_, err = p.Status(ctx, s)
	wantErrIs(t, err, providers.ErrConflict)
	wantErrIs(t, p.Stop(ctx, s), providers.ErrConflict)
	if err := p.Destroy(ctx, s); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if _, err := cli.ContainerInspect(ctx, env, client.ContainerInspectOptions{}); err != nil {
		t.Errorf("foreign container was touched: %v", err)
	}
	if left := leftovers(t, cli, env); len(left) != 0 {
		t.Errorf("leftovers after refused Deploy: %v", left)
	}
}

func TestPortInUseFailsCleanly(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	env := uniqueEnv("port")
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	})
	deployFailsCleanly(t, p, cli, s, providers.ErrConflict, strconv.Itoa(port))
}

func TestPortTakenByAnotherEnvRollsBack(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	port := freePort(t)
	ports := func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	}
	deployed(t, p, newSpec(uniqueEnv("holder"), image1, ports), nil)
	deployFailsCleanly(t, p, cli, newSpec(uniqueEnv("taker"), image1, ports), providers.ErrConflict, strconv.Itoa(port))
}

func TestUnreachableEngineNamesTheAddress(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"tcp://127.0.0.1:1", "unix://" + t.TempDir() + "/closed.sock"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			p, err := docker.New(docker.Config{Host: host})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			s := newSpec("unreachable", image1, nil)
			_, err = p.Deploy(ctx, s, nil)
			wantErrIs(t, err, providers.ErrUnavailable)
			if !strings.Contains(err.Error(), host) {
				t.Errorf("error %q does not name %s", err, host)
			}
			if !providers.IsRetryable(err) {
				t.Errorf("unreachable engine is not retryable")
			}
			_, err = p.Status(ctx, s)
			wantErrIs(t, err, providers.ErrUnavailable)
			wantErrIs(t, p.Destroy(ctx, s), providers.ErrUnavailable)
		})
	}
}

func TestFileSecretIsCopiedWithMode(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("filesecret")
	port := freePort(t)
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	})
	s.Secrets = []providers.SecretValue{{Name: "TLS_KEY", Value: secret(secretValue), MountPath: "/secrets/tls.key", Permissions: "0400"}}
	d1 := deployed(t, p, s, nil)
	want := fmt.Sprintf("/secrets/tls.key exists=true mode=0400 size=%d\n", len(secretValue))
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/file-check?path=/secrets/tls.key", port)); got != want {
		t.Errorf("file-check = %q, want %q", got, want)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/env-check?name=TLS_KEY", port)); got != "TLS_KEY set=false\n" {
		t.Errorf("file secret also in env: %q", got)
	}
	d2, err := p.Deploy(testCtx(t), s, nil)
	if err != nil || d2.Changed || d2.Handle != d1.Handle {
		t.Fatalf("redeploy with the same file secret: %+v, %v; want unchanged", d2, err)
	}
	s.Secrets[0].Value = secret(secretValue + "-rotated")
	d3, err := p.Deploy(testCtx(t), s, nil)
	if err != nil || !d3.Changed {
		t.Fatalf("redeploy with a rotated file secret: %+v, %v; want changed", d3, err)
	}
}

func TestRotatedEnvSecretRecreates(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	s := newSpec(uniqueEnv("rotate"), image1, nil)
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: secret(secretValue)}}
	d1 := deployed(t, p, s, nil)
	s.Secrets[0].Value = secret(secretValue + "-2")
	d2, err := p.Deploy(testCtx(t), s, nil)
	if err != nil || !d2.Changed || d2.Handle == d1.Handle {
		t.Fatalf("Deploy with a rotated secret: %+v, %v; want a new container", d2, err)
	}
}

func TestCancelledDeployLeavesNothing(t *testing.T) {
	t.Parallel()
	needEngine(t)
	for _, step := range []string{"resolve image", "find existing environment", "network and volumes",
		"create container", "start container", "wait for readiness"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			p := newProvider(t, docker.Config{})
			env := uniqueEnv("cancel")
			s := newSpec(env, image1, nil)
			destroyOnCleanup(t, p, s)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			r := &cancelAt{step: step, cancel: cancel}
			if _, err := p.Deploy(ctx, s, r); err == nil {
				t.Fatalf("Deploy cancelled at %q succeeded", step)
			}
			if !r.hit {
				t.Fatalf("step %q never reported", step)
			}
			if left := leftovers(t, rawClient(t), env); len(left) != 0 {
				t.Errorf("leftovers after Deploy cancelled at %q: %v", step, left)
			}
		})
	}
}

func TestCancelledReplaceRestoresOldContainer(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("restore")
	port := freePort(t)
	ports := func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	}
	d1 := deployed(t, p, newSpec(env, image1, ports), nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if _, err := p.Deploy(ctx, newSpec(env, image2, ports), &cancelAt{step: "wait for readiness", cancel: cancel}); err == nil {
		t.Fatal("cancelled replace succeeded")
	}
	st, err := p.Status(t.Context(), newSpec(env, image1, ports))
	if err != nil || st.State != providers.StateRunning || !strings.Contains(d1.Handle, st.Details["container_id"]) {
		t.Fatalf("after cancelled replace: %+v, %v; want the old container running", st, err)
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(got, "v1") {
		t.Errorf("GET after cancelled replace = %q, want v1", got)
	}
	if left := leftovers(t, rawClient(t), env); len(left) != 3 {
		t.Errorf("resources after cancelled replace: %v, want container, volume, network", left)
	}
}

// cancelAt cancels when the named progress step begins.
type cancelAt struct {
	step   string
	cancel context.CancelFunc
	hit    bool
}

func (c *cancelAt) Log(string) {}
func (c *cancelAt) Progress(step string, _, _ int) {
	if step == c.step {
		c.hit = true
		c.cancel()
	}
}

func TestStartWithPortTakenMeanwhileIsAConflict(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	port := freePort(t)
	s := newSpec(uniqueEnv("taken"), image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	})
	deployed(t, p, s, nil)
	ctx := testCtx(t)
	if err := p.Stop(ctx, s); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	err = p.Start(ctx, s)
	l.Close()
	wantErrIs(t, err, providers.ErrConflict)
	if !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("error %q does not name port %d", err, port)
	}
	if err := p.Start(ctx, s); err != nil {
		t.Fatalf("Start once the port is free again: %v", err)
	}
}

func TestContainerThatExitsFailsAndRollsBack(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("exits")
	port := freePort(t)
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Restart: "no", Ports: []string{fmt.Sprintf("%d:8080", port)}}
	})
	// The test server exits at once when PORT is not a port. With a published port, readiness
	// needs the port to answer, so the short "running" moment before the exit never counts.
	s.Secrets = []providers.SecretValue{{Name: "PORT", Value: secret("not-a-port")}}
	destroyOnCleanup(t, p, s)
	_, err := p.Deploy(testCtx(t), s, nil)
	if err == nil || !strings.Contains(err.Error(), "exited with code") {
		t.Fatalf("Deploy of a crashing container: %v, want an exit error", err)
	}
	if strings.Contains(err.Error(), "not-a-port") {
		t.Errorf("error contains the secret value")
	}
	if left := leftovers(t, rawClient(t), env); len(left) != 0 {
		t.Errorf("leftovers: %v", left)
	}
}

// Docker's proxy accepts on a published port even when nothing listens inside; that must never
// count as ready, on the first probe or the confirming one.
func TestPublishedPortNobodyListensOnIsNotReady(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("deaf")
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", freePort(t))}}
	})
	s.Secrets = []providers.SecretValue{{Name: "PORT", Value: secret("9090")}} // serves on 9090, not 8080
	s.Options.Timeout = 3 * time.Second
	destroyOnCleanup(t, p, s)
	_, err := p.Deploy(testCtx(t), s, nil)
	if err == nil || !strings.Contains(err.Error(), "not ready within") {
		t.Fatalf("Deploy with a published port nobody listens on: %v, want not ready", err)
	}
}
