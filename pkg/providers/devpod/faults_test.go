package devpod_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// faultScript wraps the real devpod. While the file "on" exists next to it, a call fails
// transiently with the pseudo-random percentage rate, drawn from the seed and a call counter:
// "refused" before devpod runs (nothing applied), "lost" after it ran (applied, its answer
// lost). Both print what devpod prints when its backend is unreachable, and append their kind
// to the file "fired".
const faultScript = `#!/bin/bash
dir=$(dirname "$0")
if [ -e "$dir/on" ]; then
  n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 )); echo $n > "$dir/count"
  r=$(( (SEED * 7919 + n * 104729) %% 1000 ))
  if [ $r -lt %[1]d ]; then
    echo refused >> "$dir/fired"
    echo "fatal dial unix /var/run/docker.sock: connect: connection refused" >&2
    exit 1
  elif [ $r -lt %[2]d ]; then
    %[3]q "$@"
    echo lost >> "$dir/fired"
    echo "fatal read unix @->/var/run/docker.sock: read: connection refused" >&2
    exit 1
  fi
fi
exec %[3]q "$@"
`

// faultyDevpod installs the wrapper around bin in a new folder, seeded from t's name.
func faultyDevpod(t *testing.T, bin string, perMille int) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "devpod")
	script := strings.Replace(fmt.Sprintf(faultScript, perMille/2, perMille, bin), "SEED", fmt.Sprint(providertest.FaultSeed(t)%100000), 1)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// TestConformanceFaultsDevPod runs the suite with devpod failing transiently on 8% of its
// calls (before or after doing its work, as an unreachable engine makes it); every operation
// must still converge once retried, and both kinds must have fired over the run.
func TestConformanceFaultsDevPod(t *testing.T) {
	t.Parallel()
	bin := needImages(t)
	var dirs sync.Map // provider -> wrapper folder
	var mu sync.Mutex
	fired := map[string]int{}
	// Registered before the subtests, so it runs after all of them.
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if fired["refused"] == 0 || fired["lost"] == 0 {
			t.Errorf("faults fired over the whole run: %v; want refused and lost at least once", fired)
		}
	})
	inventory := func(t *testing.T, _ providers.Provider, env string) []string { return dockerLeftovers(t, env) }
	cfg := providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider {
			path, dir := faultyDevpod(t, bin, 80)
			// Counted before the subtest's folders go.
			t.Cleanup(func() {
				b, _ := os.ReadFile(filepath.Join(dir, "fired"))
				mu.Lock()
				defer mu.Unlock()
				for _, k := range strings.Fields(string(b)) {
					fired[k]++
				}
			})
			p := realProvider(t, path)
			dirs.Store(providers.Provider(p), dir)
			return p
		},
		NewSpec: func(t *testing.T, env string) *providers.Spec {
			s := dockerSpec(t, env)
			s.Labels = map[string]string{providers.LabelManagedBy: providers.ManagedByValue}
			return s
		},
		Leftovers:   inventory,
		Inventory:   inventory,
		CancelSweep: 4,
		Timeout:     4 * time.Minute,
	}
	cfg.Faults = func(t *testing.T, p providers.Provider) func() {
		v, _ := dirs.Load(p)
		on := filepath.Join(v.(string), "on")
		if err := os.WriteFile(on, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return func() { _ = os.Remove(on) }
	}
	providertest.Conformance(t, cfg)
}
