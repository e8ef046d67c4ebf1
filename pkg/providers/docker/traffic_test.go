package docker_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// TestInboundBytes: the engine's stats count what the container receives; requests to its
// published port raise the count, and a stopped environment has none to report.
func TestInboundBytes(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("traffic")
	port := freePort(t)
	s := newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	})
	deployed(t, p, s, nil)
	ctx := testCtx(t)
	before, err := p.InboundBytes(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	for deadline := time.Now().Add(30 * time.Second); ; {
		httpGet(t, url)
		now, err := p.InboundBytes(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if now > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("inbound bytes stayed at %d after requests to the environment", now)
		}
	}
	if err := p.Stop(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := p.InboundBytes(ctx, s); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("InboundBytes of a stopped environment = %v, want ErrNotFound", err)
	}
}
