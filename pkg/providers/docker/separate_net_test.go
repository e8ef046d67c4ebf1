package docker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// A provider in its own network namespace (a container action on a bridge network) cannot
// probe the published ports; readiness is then a container that keeps running for StableFor.
func TestSeparateNetworkReadiness(t *testing.T) {
	t.Parallel()
	needEngine(t)
	t.Run("running container is ready", func(t *testing.T) {
		t.Parallel()
		p := newProvider(t, docker.Config{SeparateNetwork: true, StableFor: 700 * time.Millisecond})
		env := uniqueEnv("sepnet")
		port := freePort(t)
		s := newSpec(env, image1, func(c *config.Config) {
			c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
		})
		destroyOnCleanup(t, p, s)
		start := time.Now()
		d, err := p.Deploy(testCtx(t), s, nil)
		if err != nil {
			t.Fatalf("Deploy: %v", err)
		}
		if d.State != providers.StateRunning {
			t.Errorf("state %v, want running", d.State)
		}
		if waited := time.Since(start); waited < 700*time.Millisecond {
			t.Errorf("Deploy returned after %s, before the container had run for StableFor", waited)
		}
		// The port is published on this host all the same.
		httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port))
	})
	t.Run("crashing container fails", func(t *testing.T) {
		t.Parallel()
		// The crash must be seen before the container has run for StableFor; give a loaded
		// daemon a few seconds to report the exit.
		p := newProvider(t, docker.Config{SeparateNetwork: true, StableFor: 3 * time.Second})
		env := uniqueEnv("sepnet-exit")
		s := newSpec(env, image1, func(c *config.Config) {
			c.Providers.Docker = &config.DockerConfig{Restart: "no", Ports: []string{fmt.Sprintf("%d:8080", freePort(t))}}
		})
		s.Secrets = []providers.SecretValue{{Name: "PORT", Value: secret("not-a-port")}}
		destroyOnCleanup(t, p, s)
		_, err := p.Deploy(testCtx(t), s, nil)
		if err == nil || !strings.Contains(err.Error(), "exited with code") {
			t.Fatalf("Deploy of a crashing container: %v, want an exit error", err)
		}
		if left := leftovers(t, rawClient(t), env); len(left) != 0 {
			t.Errorf("leftovers: %v", left)
		}
	})
}
