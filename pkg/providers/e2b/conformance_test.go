package e2b_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// e2bConformance is the suite's configuration against the fake: one fake per subtest, found
// again through fakes for the inventory and the fault switch.
func e2bConformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	var fakes sync.Map // providers.Provider -> *e2btest.Fake
	fake := func(p providers.Provider) *e2btest.Fake { f, _ := fakes.Load(p); return f.(*e2btest.Fake) }
	inv := func(t *testing.T, p providers.Provider, env string) []string { return inventory(fake(p), env) }
	cc := providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider {
			var opts []apifake.Option
			if faults {
				opts = append(opts, apifake.WithSeed(providertest.FaultSeed(t)))
			}
			p, f := newTestProvider(t, nil, opts...)
			f.Lock(func(f *e2btest.Fake) { f.PageSize = 2 }) // every listing pages
			fakes.Store(p, f)
			return p
		},
		NewSpec: func(t *testing.T, env string) *providers.Spec { return newSpec(t, env, baseYAML) },
		// Metadata is fixed at create, so a label alone cannot change a sandbox; autoPause can,
		// in place (pause, then resume with the new autoPause).
		ChangeSpec: func(t *testing.T, s *providers.Spec) {
			c := *s.Config
			e := *c.Providers.E2B
			e.AutoPause = ptr(!(e.AutoPause == nil || *e.AutoPause))
			c.Providers = config.Providers{E2B: &e}
			s.Config = &c
		},
		Leftovers:   inv,
		Inventory:   inv,
		CancelSweep: 6, // Deploy's progress steps
		Timeout:     time.Minute,
		// Stop pauses the sandbox (filesystem and memory kept); Start resumes the same one.
		Persistence: &providertest.Persistence{HomeVolume: func(t *testing.T, p providers.Provider, env string) string {
			return fake(p).HomeVolume(env)
		}},
	}
	if faults {
		// Checked after all the subtests: every fault kind must have fired.
		var tally providertest.FaultTally
		tally.Require(t, "chaos 429", "chaos 503", "chaos lost create", "5xx after create")

		cc.RetryTransient = 20
		cc.Faults = func(t *testing.T, p providers.Provider) func() {
			api := fake(p).API
			t.Cleanup(func() { tally.Add(api.Requests()) })
			api.Add(apifake.ChaosRules(0.05)...)
			// The create succeeds, then the answer is a 500: found by metadata, not sent again.
			api.Add(apifake.Rule{Name: "5xx after create", Route: "POST /sandboxes", Probability: 0.2, Action: apifake.ApplyThenFail(500)})
			return api.ClearRules
		}
	}
	return cc
}

func ptr[T any](v T) *T { return &v }

// TestConformanceE2B runs the shared provider conformance suite against the E2B API fake.
func TestConformanceE2B(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, e2bConformance(t, false))
}

// TestConformanceFaultsE2B runs the suite with the fake's chaos profile on (429 with
// Retry-After, 503, POSTs applied with their answer lost, delays) and creates answered 500
// after they took effect, seeded by each subtest's name: every operation must converge to one
// sandbox and one template per env, and nothing may be left after Destroy.
func TestConformanceFaultsE2B(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, e2bConformance(t, true))
}

// TestRequestOperationsE2B checks the metric operation of every request a deploy, stop, start
// and destroy report: a fixed phrase, never a method alone or an id. Not parallel: the
// request observer is process-wide.
func TestRequestOperationsE2B(t *testing.T) {
	providertest.RequestOperations(t, e2b.Name, e2bConformance(t, false))
}
