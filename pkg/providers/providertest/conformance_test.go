package providertest_test

import (
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

func fakeLeftovers(t *testing.T, p providers.Provider, env string) []string {
	t.Helper()
	st, ok, err := p.(*providertest.Fake).Env(env)
	if err != nil {
		t.Fatalf("Env(%s): %v", env, err)
	}
	if !ok {
		return nil
	}
	return st.Resources
}

func TestConformanceFake(t *testing.T) {
	t.Parallel()
	cases := []struct {
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
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			providertest.Conformance(t, providertest.ConformanceConfig{
				NewProvider: func(t *testing.T) providers.Provider { return providertest.NewFake(tc.opts(t)...) },
				NewSpec:     fakeSpec,
				Leftovers:   fakeLeftovers,
			})
		})
	}
}
