package vm_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/gce/gcetest"
)

const gcpYAML = `version: "3.0"
name: vm-conf
deployment:
  provider: packer
providers:
  packer:
    cloud: gcp
    profile: minimal
    gcp:
      project_id: sindri-test
      zone: us-central1-a
      machine_type: e2-standard-2
`

// gcpLabel is a neutral tag key as a GCE label key.
func gcpLabel(k string) string { return strings.NewReplacer(".", "_", "/", "_").Replace(k) }

// gcpLabels are tags as GCE labels.
func gcpLabels(tags map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tags {
		out[gcpLabel(k)] = v
	}
	return out
}

// newGCEFake starts a Compute Engine fake holding the image built from gcpYAML's config,
// and a provider wired to it through a key file.
func newGCEFake(t *testing.T, api ...apifake.Option) (*vm.Provider, *gcetest.Fake, string) {
	t.Helper()
	f := gcetest.New(t, gcetest.Options{Zone: "us-central1-a", Transition: 20 * time.Millisecond, API: api})
	pc := loadConfig(t, gcpYAML).Providers.Packer
	f.AddImage(pc.ImageName+"-20261201000000", gcpLabels(vm.ImageTags(pc)), time.Now().Add(-time.Hour))
	keyFile := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(keyFile, f.KeyJSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": keyFile, "PATH": "/nonexistent"}
	ssh := newSSHFake(t, func() []string { return f.Instances(gcpLabel(vm.LabelRole), vm.RoleEnvironment) }, f.UserData)
	p := vm.New(vm.Config{
		Binary: "/nonexistent/packer", Getenv: func(k string) string { return env[k] },
		Places: map[config.PackerCloud][]string{config.CloudGCP: {f.Zone()}}, GCEEndpoint: f.Endpoint, HTTPClient: f.Client(),
		APITimeout: 2 * time.Second, BackoffBase: time.Millisecond, PollInterval: 5 * time.Millisecond,
		BootTimeout: 20 * time.Second, Dial: ssh.Dial,
	})
	sshFakes.Store(p, ssh)
	return p, f, keyFile
}

func gcpSpec(t testing.TB, env, keyFile string) *providers.Spec {
	s := envSpec(t, env)
	s.Config = loadConfig(t, gcpYAML)
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	// The key as a job credential (its JSON), the canary for the secret checks.
	s.Credentials = []providers.SecretValue{{Name: "GOOGLE_APPLICATION_CREDENTIALS", Value: providertest.Canary(string(key))}}
	return s
}

func gcpConformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	return fakeConformance(t, faults, func(t *testing.T, api ...apifake.Option) (providers.Provider, wiredFake) {
		p, f, key := newGCEFake(t, api...)
		return p, wiredFake{api: f.API, spec: func(t *testing.T, env string) *providers.Spec { return gcpSpec(t, env, key) },
			inventory: func(env string) []string { return f.Instances(gcpLabel(providers.LabelEnv), env) }}
	})
}

// TestConformanceVMGCP runs the shared provider conformance suite against the Compute
// Engine fake.
func TestConformanceVMGCP(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, gcpConformance(t, false))
}

// TestConformanceFaultsVMGCP runs the suite with faults on (429, 503, 500, lost answers,
// hangs, delays), seeded by the subtest's name.
func TestConformanceFaultsVMGCP(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, gcpConformance(t, true))
}

// On GCE too (labels and metadata in place of tags), a derived delivery key writes changed
// secrets again, and an unchanged set not at all: the pinned host key and the digest are read
// back.
func TestDeploySecretsRedeliveryGCP(t *testing.T) {
	t.Parallel()
	p, f, key := newGCEFake(t)
	s := gcpSpec(t, "redeliver", key)
	s.Credentials = append(s.Credentials, providers.SecretValue{Name: vm.DeliveryKeyVar, Value: providertest.Canary("gcp-redelivery-secret-0123456789abcdef")})
	for i, v := range []string{"first-value", "first-value", "second-value"} {
		s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary(v)}}
		d, err := p.Deploy(t.Context(), s, nil)
		if err != nil || len(d.Warnings) != 0 || d.Changed == (i == 1) {
			t.Fatalf("Deploy %d = %+v, %v; want no warning, changed unless the secrets are", i+1, d, err)
		}
	}
	ids := f.Instances(gcpLabel(providers.LabelEnv), "redeliver")
	if len(ids) != 1 {
		t.Fatalf("instances %v", ids)
	}
	if got, writes := sshOf(p).written(f.UserData(ids[0])); got != "API_TOKEN=second-value\n" || writes != 2 || sshOf(p).commands() != 2 {
		t.Errorf("secrets %q after %d writes (%d commands), want the second value after 2 (the unchanged deploy connects not at all)", got, writes, sshOf(p).commands())
	}
}
