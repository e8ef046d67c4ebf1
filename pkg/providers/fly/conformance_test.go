package fly_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// flyConformance is the suite's configuration against the fake: one fake per subtest, found
// again through fakes for the inventory and the fault switch.
func flyConformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	var fakes sync.Map // providers.Provider -> *flytest.Fake
	inventory := func(t *testing.T, p providers.Provider, env string) []string {
		f, _ := fakes.Load(p)
		return f.(*flytest.Fake).Inventory(appOf(env))
	}
	cfg := providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider {
			opts := testFakeOptions()
			if faults {
				opts.API = chaos(t)
			}
			p, f := newFake(t, opts, nil)
			fakes.Store(p, f)
			return p
		},
		NewSpec:     func(t *testing.T, env string) *providers.Spec { return newSpec(t, env) },
		Leftovers:   inventory,
		Inventory:   inventory,
		CancelSweep: 6, // Deploy's progress steps
		Timeout:     time.Minute,
		Persistence: &providertest.Persistence{HomeVolume: func(t *testing.T, p providers.Provider, env string) string {
			f, _ := fakes.Load(p)
			return f.(*flytest.Fake).MachineVolume(appOf(env))
		}},
	}
	if faults {
		// Checked after all the subtests: every fault kind must have fired.
		var tally providertest.FaultTally
		tally.Require(t, "chaos 429", "chaos 503", "chaos lost create")

		cfg.RetryTransient = 20
		cfg.Faults = func(t *testing.T, p providers.Provider) func() {
			f, _ := fakes.Load(p)
			api := f.(*flytest.Fake).API
			t.Cleanup(func() { tally.Add(api.Requests()) })
			api.Add(apifake.ChaosRules(apifake.DefaultChaosRate)...)
			return api.ClearRules
		}
	}
	return cfg
}

// TestConformanceFly runs the shared provider conformance suite against the Machines API fake.
func TestConformanceFly(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, flyConformance(t, false))
}

// TestConformanceFaultsFly runs the suite with the fake's chaos profile on (429 with
// Retry-After, 503, creates applied with their answer lost, delays), seeded by the subtest's
// name: every operation must converge to one app, one machine and one volume per env, and
// nothing may be left after Destroy.
func TestConformanceFaultsFly(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, flyConformance(t, true))
}

// TestRequestOperationsFly checks the metric operation of every request a deploy, stop, start
// and destroy report: a fixed phrase, never a method alone or an id. Not parallel: the
// request observer is process-wide.
func TestRequestOperationsFly(t *testing.T) {
	providertest.RequestOperations(t, fly.Name, flyConformance(t, false))
}
