package fly_test

import (
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
	"github.com/sindri/deploy/v3/pkg/providers/fly/flytest"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

const (
	testRepo  = "acme/web"
	testImage = "registry.example/sindri:1"
)

// testFakeOptions models Fly's eventual consistency at test speed: a new app hidden for two
// reads, a new machine's first /wait 404, destroyed machines readable and volumes bound a
// little after destroy.
func testFakeOptions() flytest.Options {
	return flytest.Options{
		AppLag:           2,
		WaitNotFoundOnce: true,
		StartDelay:       5 * time.Millisecond,
		StopDelay:        5 * time.Millisecond,
		DestroyDelay:     5 * time.Millisecond,
		DestroyedGrace:   20 * time.Millisecond,
		BindGrace:        30 * time.Millisecond,
		AppDeleteDelay:   10 * time.Millisecond,
	}
}

// newFake starts a fake with opts and a provider wired to it; rec, when set, records requests.
func newFake(t *testing.T, opts flytest.Options, rec *rest.Recorder, tweak ...func(*fly.Config)) (*fly.Provider, *flytest.Fake) {
	t.Helper()
	f := flytest.New(t, opts)
	cfg := fly.Config{
		APIURL: f.URL, Token: f.Token(), HTTPClient: f.Client(), Recorder: rec,
		PollInterval: 5 * time.Millisecond, AppVisible: 5 * time.Second, VolumeUnbind: 5 * time.Second,
		AppGone: 5 * time.Second, BackoffBase: 5 * time.Millisecond, Timeout: 20 * time.Second,
	}
	for _, tw := range tweak {
		tw(&cfg)
	}
	p, err := fly.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, f
}

// chaos is the fault-on option set for a fake.
func chaos(t *testing.T) []apifake.Option {
	return []apifake.Option{apifake.WithSeed(providertest.FaultSeed(t))}
}

func loadConfig(t testing.TB, yaml string) *config.Config {
	t.Helper()
	c, diags := config.Load("sindri.yaml", []byte(yaml))
	if c == nil {
		t.Fatalf("config: %v", diags)
	}
	return c
}

const baseYAML = `version: "3.0"
name: conf
deployment:
  provider: fly
  image: ` + testImage + `
providers:
  fly:
    region: sjc
`

type plainSecret string

func (s plainSecret) Reveal() string { return string(s) }
func (plainSecret) String() string   { return "[redacted]" }

func newSpec(t testing.TB, env string) *providers.Spec {
	return &providers.Spec{
		Env:    env,
		Config: loadConfig(t, baseYAML),
		Image:  testImage,
		Labels: map[string]string{
			providers.LabelRepo: testRepo, providers.LabelPR: "7", providers.LabelSHA: "abc123",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: env,
		},
		Secrets: []providers.SecretValue{{Name: "GITHUB_TOKEN", Value: plainSecret("ghp-test-secret-value")}},
		Options: providers.Options{Timeout: 20 * time.Second},
	}
}

func appOf(env string) string { return fly.AppName("", testRepo, env) }
