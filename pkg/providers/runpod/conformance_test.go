package runpod_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/runpod"
	"github.com/sindri/deploy/v3/pkg/providers/runpod/runpodtest"
)

const testToken = "rp-test-key-5f1e"

// newTestProvider returns a provider wired to a fresh fake, polling fast.
func newTestProvider(t *testing.T, opts ...apifake.Option) (*runpod.Provider, *runpodtest.Fake) {
	t.Helper()
	f := runpodtest.New(t, testToken, opts...)
	p, err := runpod.New(runpod.Config{APIURL: f.URL(), APIKey: testToken, HTTPClient: f.API.Client(),
		PollInterval: 2 * time.Millisecond, DefaultTimeout: 20 * time.Second, ProxyFallback: 20 * time.Millisecond,
		BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p, f
}

const conformanceConfig = `version: "3.0"
name: conf
deployment:
  provider: runpod
  image: ghcr.io/sindri/test:1
  resources:
    gpu: {enabled: true, tier: a4000}
extensions:
  profile: minimal
providers:
  runpod:
    cloudType: SECURE
    exposePorts: [8080]
`

func loadConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	c, diags := config.Load("sindri.yaml", []byte(src))
	if c == nil || diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return c
}

func runpodConformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	cfg := loadConfig(t, conformanceConfig)
	var fakes sync.Map // providers.Provider → *runpodtest.Fake; subtests run in parallel
	fake := func(p providers.Provider) *runpodtest.Fake { f, _ := fakes.Load(p); return f.(*runpodtest.Fake) }
	seed := func(t *testing.T) uint64 {
		if faults {
			return providertest.FaultSeed(t)
		}
		return 0
	}
	pods := func(t *testing.T, p providers.Provider, env string) []string { return fake(p).Pods(env) }
	cc := providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider {
			p, f := newTestProvider(t, apifake.WithSeed(seed(t)))
			fakes.Store(p, f)
			return p
		},
		NewSpec: func(t *testing.T, env string) *providers.Spec {
			return &providers.Spec{Env: env, Config: cfg, Image: "ghcr.io/sindri/test:1",
				Labels: map[string]string{providers.LabelEnv: env, providers.LabelManagedBy: providers.ManagedByValue,
					providers.LabelExpiresAt: "2030-01-01T00:00:00Z"}}
		},
		Leftovers:   pods,
		Inventory:   pods,
		CancelSweep: 5,
		Timeout:     30 * time.Second,
		// Stop keeps the pod and its volume (only the container disk is reset): the same
		// volume after start.
		Persistence: &providertest.Persistence{HomeVolume: func(t *testing.T, p providers.Provider, env string) string {
			return fake(p).HomeVolume(env)
		}},
	}
	if faults {
		// Checked after all the subtests: every fault kind must have fired.
		var tally providertest.FaultTally
		tally.Require(t, "5xx after create", "chaos 429", "chaos 503", "chaos lost create")
		cc.Faults = func(t *testing.T, p providers.Provider) func() {
			f := fake(p)
			t.Cleanup(func() { tally.Add(f.API.Requests()) })
			f.API.Add(apifake.ChaosRules(0.05)...)
			// RunPod's own: the create succeeds, then the answer is a 500.
			f.API.Add(apifake.Rule{Name: "5xx after create", Route: "POST /v2/pods", Probability: 0.2, Action: apifake.ApplyThenFail(500)})
			return f.API.ClearRules
		}
	}
	return cc
}

func TestConformanceRunPod(t *testing.T) {
	providertest.Conformance(t, runpodConformance(t, false))
}

func TestConformanceFaultsRunPod(t *testing.T) {
	providertest.Conformance(t, runpodConformance(t, true))
}

// TestRequestOperationsRunPod checks the metric operation of every request a deploy, stop, start
// and destroy report: a fixed phrase, never a method alone or an id. Not parallel: the
// request observer is process-wide.
func TestRequestOperationsRunPod(t *testing.T) {
	providertest.RequestOperations(t, runpod.Name, runpodConformance(t, false))
}
