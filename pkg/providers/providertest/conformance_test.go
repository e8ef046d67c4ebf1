package providertest_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

func fakeSpec(_ *testing.T, env string) *providers.Spec {
	return &providers.Spec{
		Env:   env,
		Image: "local/sindri:test",
		Labels: map[string]string{
			providers.LabelEnv:       env,
			providers.LabelManagedBy: providers.ManagedByValue,
		},
	}
}

// fakeEnv returns env's state on p's platform; ok is false when it does not exist.
func fakeEnv(t *testing.T, p providers.Provider, env string) (providertest.EnvState, bool) {
	t.Helper()
	st, ok, err := fakeOf(p).Env(env)
	if err != nil {
		t.Fatalf("Env(%s): %v", env, err)
	}
	return st, ok
}

func fakeLeftovers(t *testing.T, p providers.Provider, env string) []string {
	st, _ := fakeEnv(t, p, env)
	return st.Resources
}

// fakeOf returns the Fake behind p (a Fake or a ListingFake).
func fakeOf(p providers.Provider) *providertest.Fake {
	if l, ok := p.(providertest.ListingFake); ok {
		return l.Fake
	}
	return p.(*providertest.Fake)
}

// fakeInventory names each resource with its environment's creation time, so a remade
// environment shows as a different inventory.
func fakeInventory(t *testing.T, p providers.Provider, env string) []string {
	st, _ := fakeEnv(t, p, env)
	out := make([]string, 0, len(st.Resources))
	for _, r := range st.Resources {
		out = append(out, fmt.Sprintf("%s@%d", r, st.CreatedAt.UnixNano()))
	}
	return out
}

var fakeCases = []struct {
	name string
	opts func(t *testing.T) []providertest.Option
}{
	{"memory", func(*testing.T) []providertest.Option { return nil }},
	{"slow", func(*testing.T) []providertest.Option {
		return []providertest.Option{providertest.WithStepDelay(5 * time.Millisecond)}
	}},
	{"dir", func(t *testing.T) []providertest.Option {
		return []providertest.Option{providertest.WithDir(t.TempDir())}
	}},
}

func fakeConformance(opts func(t *testing.T) []providertest.Option) providertest.ConformanceConfig {
	return providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider { return providertest.NewListingFake(opts(t)...) },
		NewSpec:     fakeSpec,
		Leftovers:   fakeLeftovers,
		Inventory:   fakeInventory,
		CancelSweep: 4,
	}
}

func TestConformanceFake(t *testing.T) {
	t.Parallel()
	for _, tc := range fakeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			providertest.Conformance(t, fakeConformance(tc.opts))
		})
	}
}

// TestConformanceFaultsFake runs the suite with the Fake's chaos on: a fifth of all operations
// fail transiently, half of them after taking effect. The seed is the subtest's name.
func TestConformanceFaultsFake(t *testing.T) {
	t.Parallel()
	for _, tc := range fakeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := fakeConformance(tc.opts)
			cfg.Faults = func(t *testing.T, p providers.Provider) func() {
				h := fnv.New64a()
				h.Write([]byte(t.Name()))
				return fakeOf(p).Chaos(h.Sum64(), 0.2)
			}
			providertest.Conformance(t, cfg)
		})
	}
}

// TestConformancePlainFake runs the suite against the Fake without its Lister, as executor
// tests use it.
func TestConformancePlainFake(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, providertest.ConformanceConfig{
		NewProvider: func(*testing.T) providers.Provider { return providertest.NewFake() },
		NewSpec:     fakeSpec,
		Leftovers:   fakeLeftovers,
	})
}

// noStopStart is a Fake of a platform that cannot stop an environment and start it again: it
// embeds providers.NoStopStart, as such a provider does.
type noStopStart struct {
	providers.NoStopStart
	*providertest.Fake
}

func (noStopStart) Capabilities() providers.Capabilities { return providers.Capabilities{} }

func (n noStopStart) Stop(ctx context.Context, s *providers.Spec) error {
	return n.NoStopStart.Stop(ctx, s)
}

func (n noStopStart) Start(ctx context.Context, s *providers.Spec) error {
	return n.NoStopStart.Start(ctx, s)
}

// TestConformanceNoStopStartFake runs the suite against a provider without stop/start: its
// stop/start subtests are skipped, and UnsupportedStopStart checks the refusal.
func TestConformanceNoStopStartFake(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, providertest.ConformanceConfig{
		NewProvider: func(*testing.T) providers.Provider {
			return noStopStart{Fake: providertest.NewFake()}
		},
		NewSpec: fakeSpec,
		Leftovers: func(t *testing.T, p providers.Provider, env string) []string {
			return fakeLeftovers(t, p.(noStopStart).Fake, env)
		},
	})
}
