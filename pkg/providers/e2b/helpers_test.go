package e2b_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

const (
	testKey   = "e2b_test_key_5f1e3c"
	testRepo  = "acme/web"
	testImage = "ghcr.io/sindri/test:1"
)

// newTestProvider returns a provider wired to a fresh fake (its API and its envd), polling
// fast; rec, when set, records the requests.
func newTestProvider(t *testing.T, rec *rest.Recorder, opts ...apifake.Option) (*e2b.Provider, *e2btest.Fake) {
	t.Helper()
	f := e2btest.New(t, testKey, opts...)
	p, err := e2b.New(e2b.Config{APIURL: f.URL(), SandboxURL: f.URL(), APIKey: testKey, HTTPClient: f.API.Client(), Recorder: rec,
		PollInterval: 2 * time.Millisecond, StableFor: 5 * time.Millisecond, DefaultTimeout: 20 * time.Second,
		BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p, f
}

const baseYAML = `version: "3.0"
name: conf
deployment:
  provider: e2b
  image: ` + testImage + `
  resources:
    cpus: 2
    memory: 2GB
extensions:
  profile: minimal
providers:
  e2b:
    timeout: 600
`

func loadConfig(t testing.TB, src string) *config.Config {
	t.Helper()
	c, diags := config.Load("sindri.yaml", []byte(src))
	if c == nil || diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return c
}

type plainSecret string

func (s plainSecret) Reveal() string { return string(s) }
func (plainSecret) String() string   { return "[redacted]" }

func newSpec(t testing.TB, env, src string) *providers.Spec {
	c := loadConfig(t, src)
	img, _ := c.ImageRef()
	return &providers.Spec{
		Env:    env,
		Config: c,
		Image:  img,
		Labels: map[string]string{
			providers.LabelRepo: testRepo, providers.LabelPR: "7", providers.LabelSHA: "abc123",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: env,
		},
		Secrets: []providers.SecretValue{{Name: "GITHUB_TOKEN", Value: plainSecret("ghp-test-secret-value")}},
		Options: providers.Options{Timeout: 20 * time.Second},
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// inventory lists env's sandboxes and templates on fake f by id.
func inventory(f *e2btest.Fake, env string) []string {
	var out []string
	for _, id := range f.Sandboxes(env) {
		out = append(out, "sandbox/"+id)
	}
	for _, id := range f.Templates("sindri-" + env + "-") {
		out = append(out, "template/"+id)
	}
	return out
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }
