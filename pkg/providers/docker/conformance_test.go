package docker_test

import (
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestConformance runs the shared provider conformance suite against the real engine.
func TestConformance(t *testing.T) {
	t.Parallel()
	needEngine(t)
	providertest.Conformance(t, providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider { return newProvider(t, docker.Config{}) },
		NewSpec: func(_ *testing.T, env string) *providers.Spec {
			return newSpec(env, image1, nil)
		},
		Leftovers: func(t *testing.T, _ providers.Provider, env string) []string {
			return leftovers(t, rawClient(t), env)
		},
		Timeout: time.Minute,
	})
}
