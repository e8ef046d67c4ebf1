package kubernetes

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

const testImage = "ghcr.io/sindri-dev/sindri:3"

// plainSecret is a test secret value; its String form is redacted like the real ones.
type plainSecret string

func (s plainSecret) Reveal() string { return string(s) }
func (plainSecret) String() string   { return "[redacted]" }

// testConfig is a small deployable config for namespace ns.
func testConfig(ns string) *config.Config {
	cpus := 1
	return &config.Config{Version: "3.0", Name: "conf",
		Deployment: config.Deployment{Provider: config.ProviderKubernetes,
			Resources: config.Resources{Memory: "1GB", CPUs: &cpus}},
		Extensions: config.Extensions{Profile: "minimal"},
		Providers:  config.Providers{Kubernetes: &config.KubernetesConfig{Namespace: ns}}}
}

// testSpec is a spec for env in namespace ns, with one env secret.
func testSpec(env, ns string) *providers.Spec {
	return &providers.Spec{Env: env, Config: testConfig(ns), Image: testImage,
		Secrets: []providers.SecretValue{{Name: "API_TOKEN", Value: plainSecret("tok-" + env)}},
		Labels: map[string]string{providers.LabelRepo: "acme/web", providers.LabelPR: "7", providers.LabelSHA: "0123abc",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: env},
		Options: providers.Options{Timeout: 30 * time.Second}}
}

// newTestProvider is a provider on the envtest cluster (or on cfg's host) with short waits.
func newTestProvider(t testing.TB, cfg Config) *Provider {
	t.Helper()
	if cfg.RESTConfig == nil {
		cfg.RESTConfig = needCluster(t)
	}
	if cfg.ContextName == "" {
		cfg.ContextName = "envtest"
	}
	cfg.PollInterval, cfg.DeleteWait = 100*time.Millisecond, 30*time.Second
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// randSuffix is 8 random hex digits, for names of their own.
func randSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
