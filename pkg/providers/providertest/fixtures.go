package providertest

import (
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// FixtureDirs are the repository's copies of the shared real-world configs and the provider
// guide's examples, relative to a provider's package (pkg/providers/<name>).
var FixtureDirs = []string{"../../../testdata/shared/fixtures/sindri-configs", "../../../testdata/shared/fixtures/guide-examples"}

// Fixture is one shared config that targets a provider.
type Fixture struct {
	// Name is "<dir>-<file without .sindri.yaml>", fit for a golden file's name.
	Name   string
	Config *config.Config
}

// Fixtures returns every shared config that loads and targets provider, for golden tests
// that pin a provider's requests per fixture. It fails the test when there is none: a golden
// test that covers nothing proves nothing.
func Fixtures(t testing.TB, provider config.ProviderName) []Fixture {
	t.Helper()
	var out []Fixture
	for _, dir := range FixtureDirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := config.Load(file, data)
			if c == nil || c.ProviderName() != provider {
				continue
			}
			base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), ".yaml"), ".sindri")
			out = append(out, Fixture{Name: filepath.Base(filepath.Dir(file)) + "-" + base, Config: c})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no shared fixture targets provider %s (looked in %v)", provider, FixtureDirs)
	}
	return out
}

// FaultSeed is the fault seed of a (sub)test: its name, hashed, so a failing run replays. Each
// subtest's fake must draw from its own seed: with one seed for all, every fake faults the same
// few requests and spares the rest.
func FaultSeed(t testing.TB) uint64 {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	return h.Sum64()
}

// FaultTally counts, over a whole faults-on run, the faults each fake's harness injected. A
// fault run in which a fault kind never fired would prove nothing: Require fails it then.
type FaultTally struct {
	mu    sync.Mutex
	fired map[string]int
}

// Add counts the faults in a fake's request log (apifake.Server.Requests).
func (f *FaultTally) Add(log []apifake.Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fired == nil {
		f.fired = map[string]int{}
	}
	for _, e := range log {
		if e.Fault != "" {
			f.fired[e.Fault]++
		}
	}
}

// Require registers, on the top-level test before its subtests run, a check that runs after
// all of them: each of kinds (rule names) fired at least once.
func (f *FaultTally) Require(t *testing.T, kinds ...string) {
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, k := range kinds {
			if f.fired[k] == 0 {
				t.Errorf("faults fired over the whole run: %v; want %q at least once", f.fired, k)
			}
		}
	})
}

// FixtureSecrets gives s the secrets c declares, as the executor would hand them over: each
// valued "fixture-secret-<name>" (a Canary, so its text forms redact), file secrets with
// their mount path and permissions, and those named in credentials (the provider's
// Capabilities.Credentials) moved to s.Credentials unless c marks them deliver: true.
func FixtureSecrets(s *providers.Spec, c *config.Config, credentials []string) {
	deliver := map[string]bool{}
	for _, sec := range c.Secrets {
		sv := providers.SecretValue{Name: sec.Name, Value: Canary("fixture-secret-" + sec.Name)}
		if sec.Source == config.SecretSourceFile {
			sv.MountPath, sv.Permissions = sec.MountPath, sec.Permissions
		}
		s.Secrets = append(s.Secrets, sv)
		deliver[sec.Name] = sec.Deliver
	}
	providers.SplitCredentials(s, credentials, deliver)
}
