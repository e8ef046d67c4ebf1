package northflank_test

import (
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/northflank"
	"github.com/sindri/deploy/v3/pkg/providers/northflank/northflanktest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

const testToken = "nf-test-token-7c2d"

// newTestProvider returns a provider wired to a fresh fake, polling fast.
func newTestProvider(t *testing.T, opts ...apifake.Option) (*northflank.Provider, *northflanktest.Fake) {
	t.Helper()
	f := northflanktest.New(t, testToken, opts...)
	return providerFor(t, f, testToken, nil), f
}

func providerFor(t *testing.T, f *northflanktest.Fake, token string, lim *rest.Limiters) *northflank.Provider {
	t.Helper()
	p, err := northflank.New(northflank.Config{APIURL: f.URL(), Token: token, HTTPClient: f.API.Client(), Limiters: lim,
		PollInterval: 2 * time.Millisecond, DefaultTimeout: 20 * time.Second, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// conformanceConfig uses a project the user named: the provider must create it when missing,
// share it, and never delete it.
const conformanceConfig = `version: "3.0"
name: conf
deployment:
  provider: northflank
  image: ghcr.io/sindri/test:1
  resources: {cpus: 1, memory: 2GB}
extensions:
  profile: minimal
providers:
  northflank:
    projectName: conf-shared
    ports:
      - {name: http, internalPort: 8080, public: true}
`

func loadConfig(t *testing.T, src string) *config.Config {
	t.Helper()
	c, diags := config.Load("sindri.yaml", []byte(src))
	if c == nil || diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return c
}

func northflankConformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	cfg := loadConfig(t, conformanceConfig)
	var fakes sync.Map // providers.Provider → *northflanktest.Fake; subtests run in parallel
	fake := func(p providers.Provider) *northflanktest.Fake {
		f, _ := fakes.Load(p)
		return f.(*northflanktest.Fake)
	}
	// Each subtest's fake draws its faults from its own seed (its name): with one seed for
	// all, every fake would fault the same few requests and spare the rest.
	seedOf := func(t *testing.T) uint64 {
		if !faults {
			return 0
		}
		h := fnv.New64a()
		h.Write([]byte(t.Name()))
		return h.Sum64()
	}
	objects := func(t *testing.T, p providers.Provider, env string) []string { return fake(p).Find(env) }
	cc := providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider {
			p, f := newTestProvider(t, apifake.WithSeed(seedOf(t)))
			fakes.Store(p, f)
			return p
		},
		NewSpec: func(t *testing.T, env string) *providers.Spec {
			return &providers.Spec{Env: env, Config: cfg, Image: "ghcr.io/sindri/test:1",
				Labels: map[string]string{providers.LabelEnv: env, providers.LabelRepo: "o/r", providers.LabelManagedBy: providers.ManagedByValue,
					providers.LabelExpiresAt: "2030-01-01T00:00:00Z"}}
		},
		Leftovers:   objects,
		Inventory:   objects,
		CancelSweep: 5,
		Timeout:     30 * time.Second,
		// Stop pauses the service; its ReadWriteOnce volume stays attached (the same volume,
		// by uid, after resume).
		Persistence: &providertest.Persistence{HomeVolume: func(t *testing.T, p providers.Provider, env string) string {
			return fake(p).HomeVolume(env)
		}},
	}
	if faults {
		// Registered before the subtests run, so it checks after all of them: a fault run in
		// which the faults never fired would prove nothing.
		var fired sync.Map // rule name → true
		t.Cleanup(func() {
			for _, name := range []string{"chaos 429", "chaos 503", "chaos lost create", "lost service create"} {
				if _, ok := fired.Load(name); !ok {
					seen := []string{}
					fired.Range(func(k, _ any) bool { seen = append(seen, k.(string)); return true })
					t.Errorf("fault %q never fired over the whole run (fired: %v)", name, seen)
				}
			}
		})
		cc.Faults = func(t *testing.T, p providers.Provider) func() {
			f := fake(p)
			t.Cleanup(func() {
				for _, e := range f.API.Requests() {
					if e.Fault != "" {
						fired.Store(e.Fault, true)
					}
				}
			})
			f.API.Add(apifake.ChaosRules(0.05)...)
			// Northflank's own: the service is created, then the answer is lost.
			f.API.Add(apifake.Rule{Name: "lost service create", Route: "POST /v1/projects/{p}/services/deployment", Probability: 0.3, Action: apifake.ApplyThenDrop()})
			return f.API.ClearRules
		}
	}
	return cc
}

func TestConformanceNorthflank(t *testing.T) {
	providertest.Conformance(t, northflankConformance(t, false))
}

func TestConformanceFaultsNorthflank(t *testing.T) {
	providertest.Conformance(t, northflankConformance(t, true))
}

// TestRequestOperationsNorthflank checks the metric operation of every request a deploy, stop, start
// and destroy report: a fixed phrase, never a method alone or an id. Not parallel: the
// request observer is process-wide.
func TestRequestOperationsNorthflank(t *testing.T) {
	providertest.RequestOperations(t, northflank.Name, northflankConformance(t, false))
}
