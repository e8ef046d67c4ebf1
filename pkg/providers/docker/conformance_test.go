package docker_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// conformance is the suite's configuration for the real engine; newProvider builds the
// provider of each subtest.
func conformance(newProvider func(t *testing.T) providers.Provider) providertest.ConformanceConfig {
	inventory := func(t *testing.T, _ providers.Provider, env string) []string {
		return leftovers(t, rawClient(t), env) // container ids, volume and network names
	}
	return providertest.ConformanceConfig{
		NewProvider: newProvider,
		NewSpec: func(_ *testing.T, env string) *providers.Spec {
			return newSpec(env, image1, nil)
		},
		Leftovers:   inventory,
		Inventory:   inventory,
		CancelSweep: 6, // Deploy's progress steps
		Timeout:     time.Minute,
	}
}

// TestConformanceDocker runs the shared provider conformance suite against the real engine.
func TestConformanceDocker(t *testing.T) {
	t.Parallel()
	needEngine(t)
	providertest.Conformance(t, conformance(func(t *testing.T) providers.Provider {
		return newProvider(t, docker.Config{})
	}))
}

// TestConformanceFaultsDocker runs the suite with the engine connection failing transiently
// (faultProxy: 503s, dropped connections, requests applied with their answer lost) on 6% of
// requests; every operation must still converge once retried.
func TestConformanceFaultsDocker(t *testing.T) {
	t.Parallel()
	needEngine(t)
	var proxies sync.Map // provider -> *faultProxy
	// Registered before the subtests, so it runs after all of them: a fault run in which no
	// fault fired would prove nothing.
	t.Cleanup(func() {
		kinds := map[string]int{}
		proxies.Range(func(_, v any) bool {
			fp := v.(*faultProxy)
			fp.mu.Lock()
			for k, n := range fp.injected {
				kinds[k] += n
			}
			fp.mu.Unlock()
			return true
		})
		if kinds["busy"] == 0 || kinds["drop"] == 0 || kinds["lost"] == 0 {
			t.Errorf("faults injected over the whole run: %v; want every kind (busy, drop, lost) at least once", kinds)
		}
	})
	cfg := conformance(func(t *testing.T) providers.Provider {
		fp := newFaultProxy(t, 0.06)
		p := newProvider(t, docker.Config{Host: fp.url})
		proxies.Store(p, fp)
		return p
	})
	cfg.Faults = func(t *testing.T, p providers.Provider) func() {
		fp, _ := proxies.Load(p)
		return fp.(*faultProxy).switchOn(t)
	}
	providertest.Conformance(t, cfg)
}
