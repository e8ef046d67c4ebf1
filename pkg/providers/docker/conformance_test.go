package docker_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
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
		Persistence: &providertest.Persistence{WriteMarker: writeMarker, ReadMarker: readMarker},
	}
}

// markerPath is where the persistence check's marker goes: in the home volume.
const markerPath = config.HomeDir + "/.sindri-conformance-marker"

// writeMarker and readMarker reach into the running container through the provider's own
// exec (providers.Connector), on a connection without faults.
func writeMarker(t *testing.T, _ providers.Provider, env, marker string) {
	t.Helper()
	if out := execHello(t, env, "-write", markerPath, "-content", marker); out != "" {
		t.Logf("write marker: %s", out)
	}
}

func readMarker(t *testing.T, _ providers.Provider, env string) string {
	t.Helper()
	return execHello(t, env, "-read", markerPath)
}

// execHello runs the test image's /hello with args in env's container and returns its output.
func execHello(t *testing.T, env string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code, err := newProvider(t, docker.Config{}).Exec(t.Context(), &providers.Spec{Env: env}, append([]string{"/hello"}, args...), &out, &errOut)
	if err != nil || code != 0 {
		t.Fatalf("exec /hello %v in %s: exit %d, %v: %s", args, env, code, err, errOut.String())
	}
	return out.String()
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
