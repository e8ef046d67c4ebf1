package docker_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// pullSpec is a spec for image with a published port and the given pull policy ("" = none set).
func pullSpec(env, image, policy string, port int) *providers.Spec {
	return newSpec(env, image, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
		if policy != "" {
			c.Deployment.ImageConfig = &config.ImageConfig{Registry: image, PullPolicy: policy}
		}
	})
}

func TestPullIfNotPresentPullsOnce(t *testing.T) {
	t.Parallel()
	needEngine(t)
	reg := newTestRegistry(t, image1)
	ref := reg.serveAs("sindri-test/hello:1", image1)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("pull")
	port := freePort(t)
	s := pullSpec(env, ref, "", port) // no image_config: the default, IfNotPresent

	var rep logReporter
	d1 := deployed(t, p, s, &rep)
	if !d1.Changed {
		t.Errorf("first Deploy: Changed=false, want true")
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(got, "v1") {
		t.Errorf("GET / = %q, want v1", got)
	}
	pulls := reg.manifestRequests()
	if pulls == 0 {
		t.Fatalf("registry saw no manifest request: the image was not pulled")
	}
	log := rep.text()
	for _, want := range []string{"pulling " + ref, "anonymously", "IfNotPresent", "pulled " + ref} {
		if !strings.Contains(log, want) {
			t.Errorf("reporter log does not contain %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "\n") + 1; n > 20 {
		t.Errorf("reporter got %d lines for one small deploy; want a few, not per-layer progress:\n%s", n, log)
	}

	d2, err := p.Deploy(testCtx(t), s, nil)
	if err != nil {
		t.Fatalf("second Deploy: %v", err)
	}
	if d2.Changed {
		t.Errorf("second Deploy: Changed=true, want false")
	}
	if got := reg.manifestRequests(); got != pulls {
		t.Errorf("manifest requests after second Deploy = %d, want still %d (IfNotPresent must not pull a present image)", got, pulls)
	}
	reg.checkShapes()
}

func TestPullAlwaysRecreatesOnMovedTagAndKeepsVolume(t *testing.T) {
	t.Parallel()
	needEngine(t)
	reg := newTestRegistry(t, image1, image2)
	ref := reg.serveAs("sindri-test/hello:1", image1)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	env := uniqueEnv("always")
	port := freePort(t)
	s := pullSpec(env, ref, "Always", port)
	ctx := testCtx(t)

	d1 := deployed(t, p, s, nil)
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(got, "v1") {
		t.Fatalf("GET / = %q, want v1", got)
	}
	marker := writeHomeMarker(t, cli, env)

	// Same tag target: Always pulls again, nothing changes.
	before := reg.manifestRequests()
	d2, err := p.Deploy(ctx, s, nil)
	if err != nil {
		t.Fatalf("Deploy again: %v", err)
	}
	if reg.manifestRequests() == before {
		t.Errorf("Always did not ask the registry again")
	}
	if d2.Changed || d2.Handle != d1.Handle {
		t.Errorf("Deploy with unchanged tag: Changed=%v handle %s (was %s), want the same container", d2.Changed, d2.Handle, d1.Handle)
	}

	// The tag moves to another image: Always pulls it and replaces the container.
	reg.serveAs("sindri-test/hello:1", image2)
	var rep logReporter
	d3, err := p.Deploy(ctx, s, &rep)
	if err != nil {
		t.Fatalf("Deploy after the tag moved: %v", err)
	}
	if !d3.Changed || d3.Handle == d1.Handle {
		t.Fatalf("Deploy after the tag moved: Changed=%v handle %s (was %s), want a new container\n%s", d3.Changed, d3.Handle, d1.Handle, rep.text())
	}
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(got, "v2") {
		t.Errorf("GET / after the tag moved = %q, want v2", got)
	}
	if got := readFile(t, cli, env, "/alt/home/developer/marker"); got != marker {
		t.Errorf("marker after recreate = %q, want %q (home volume kept)", got, marker)
	}
	reg.checkShapes()
}

func TestPullNeverWithMissingImageIsClear(t *testing.T) {
	t.Parallel()
	needEngine(t)
	reg := newTestRegistry(t, image1)
	ref := reg.serveAs("sindri-test/hello:1", image1)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("never")
	s := pullSpec(env, ref, "Never", freePort(t))
	destroyOnCleanup(t, p, s)
	_, err := p.Deploy(testCtx(t), s, nil)
	wantErrIs(t, err, providers.ErrNotFound)
	for _, want := range []string{ref, "pull_policy is Never", "build or load it locally"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if providers.IsRetryable(err) {
		t.Errorf("missing image with Never is retryable; want permanent")
	}
	if n := reg.manifestRequests() + reg.count("GET base"); n != 0 {
		t.Errorf("registry got %d requests with pull_policy Never, want 0", n)
	}
	if left := leftovers(t, rawClient(t), env); len(left) != 0 {
		t.Errorf("leftovers: %v", left)
	}
}

func TestPullFailuresAreClear(t *testing.T) {
	t.Parallel()
	needEngine(t)
	const user, pass = "sindri-user", "s3cret-registry-password"
	cases := []struct {
		name      string
		tag       string // tag to pull; the registry serves only "1"
		auth      bool   // registry requires basic auth
		fail      int    // injected status
		secrets   []providers.SecretValue
		wantIs    error
		retryable bool
		want      []string
	}{
		{name: "not found", tag: "nope", wantIs: providers.ErrNotFound,
			want: []string{"not on registry", "sindri-test/hello:nope"}},
		{name: "unauthorized without credentials", tag: "1", auth: true, wantIs: docker.ErrRegistryAuth,
			want: []string{"refused access", "DOCKER_USERNAME", "DOCKER_PASSWORD"}},
		{name: "unauthorized with wrong credentials", tag: "1", auth: true, wantIs: docker.ErrRegistryAuth,
			secrets: []providers.SecretValue{{Name: "DOCKER_USERNAME", Value: secret(user)}, {Name: "DOCKER_PASSWORD", Value: secret("wrong-" + pass)}},
			want:    []string{"refused access", "credentials from DOCKER_USERNAME/DOCKER_PASSWORD were rejected"}},
		{name: "registry failing", tag: "1", fail: http.StatusServiceUnavailable, wantIs: providers.ErrUnavailable, retryable: true,
			want: []string{"unreachable or failing"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := newTestRegistry(t, image1)
			reg.serveAs("sindri-test/hello:1", image1)
			if tc.auth {
				reg.requireBasicAuth(user, pass)
			}
			reg.failWith(tc.fail)
			ref := reg.host + "/sindri-test/hello:" + tc.tag
			p := newProvider(t, docker.Config{})
			env := uniqueEnv("pullerr")
			s := pullSpec(env, ref, "IfNotPresent", freePort(t))
			s.Secrets = tc.secrets
			destroyOnCleanup(t, p, s)
			var rep logReporter
			_, err := p.Deploy(testCtx(t), s, &rep)
			wantErrIs(t, err, tc.wantIs)
			if got := providers.IsRetryable(err); got != tc.retryable {
				t.Errorf("IsRetryable = %v, want %v (error %v)", got, tc.retryable, err)
			}
			for _, want := range append(tc.want, ref, reg.host) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if strings.Contains(err.Error(), pass) || strings.Contains(rep.text(), pass) {
				t.Errorf("registry password leaked into the error or the log")
			}
			if left := leftovers(t, rawClient(t), env); len(left) != 0 {
				t.Errorf("leftovers: %v", left)
			}
			reg.checkShapes()
		})
	}
}

// TestPullWithCredentials pulls with registry credentials given as Spec.Credentials (the
// executor's split: never delivered into the container) and, for configs that declare them as
// ordinary secrets, as Spec.Secrets.
func TestPullWithCredentials(t *testing.T) {
	t.Parallel()
	needEngine(t)
	for _, asCredentials := range []bool{true, false} {
		t.Run(map[bool]string{true: "credentials", false: "secrets"}[asCredentials], func(t *testing.T) {
			t.Parallel()
			pullWithCredentials(t, asCredentials)
		})
	}
}

func pullWithCredentials(t *testing.T, asCredentials bool) {
	const user, pass = "sindri-user", "s3cret-registry-password"
	reg := newTestRegistry(t, image1)
	ref := reg.serveAs("sindri-test/hello:1", image1)
	reg.requireBasicAuth(user, pass)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("pullauth")
	port := freePort(t)
	s := pullSpec(env, ref, "", port)
	creds := []providers.SecretValue{
		{Name: "DOCKER_USERNAME", Value: secret(user)},
		{Name: "DOCKER_PASSWORD", Value: secret(pass)},
		{Name: "DOCKER_REGISTRY", Value: secret("http://" + reg.host)},
	}
	if asCredentials {
		s.Credentials = creds
	} else {
		s.Secrets = creds
	}
	var rep logReporter
	deployed(t, p, s, &rep)
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.Contains(got, "v1") {
		t.Errorf("GET / = %q, want v1", got)
	}
	if !strings.Contains(rep.text(), "with credentials from DOCKER_USERNAME/DOCKER_PASSWORD") {
		t.Errorf("log does not say which credentials were used:\n%s", rep.text())
	}
	if strings.Contains(rep.text(), pass) {
		t.Errorf("registry password leaked into the log")
	}
	if reg.count("unauthorized") > 1 {
		// The engine's first /v2/ probe is anonymous by design; later requests must carry auth.
		t.Errorf("registry refused %d requests, want at most the anonymous /v2/ probe", reg.count("unauthorized"))
	}
	reg.checkShapes()
	res, err := rawClient(t).ContainerInspect(t.Context(), env, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delivered := slices.ContainsFunc(res.Container.Config.Env, func(kv string) bool { return strings.HasPrefix(kv, "DOCKER_PASSWORD=") })
	if delivered == asCredentials {
		t.Errorf("DOCKER_PASSWORD in the container's environment: %v, want %v", delivered, !asCredentials)
	}
}
