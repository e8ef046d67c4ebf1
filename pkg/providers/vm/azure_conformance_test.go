package vm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/azure/azuretest"
)

const azureYAML = `version: "3.0"
name: vm-conf
deployment:
  provider: packer
providers:
  packer:
    cloud: azure
    profile: minimal
    azure:
      subscription_id: 00000000-0000-0000-0000-0000000000a1
      resource_group: sindri-packer
      location: westus2
      vm_size: Standard_D2s_v5
`

// azureTag is a neutral tag key as an Azure tag name.
func azureTag(k string) string { return strings.ReplaceAll(strings.ToLower(k), "/", "_") }

func azureTags(tags map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tags {
		out[azureTag(k)] = v
	}
	return out
}

// newAzureFake starts a Resource Manager fake holding the image built from azureYAML's
// config, and a provider wired to it: the service principal in the executor's environment,
// with the subscription, subnet and SSH key.
func newAzureFake(t *testing.T, api ...apifake.Option) (*vm.Provider, *azuretest.Fake) {
	t.Helper()
	f := azuretest.New(t, azuretest.Options{Transition: 20 * time.Millisecond, API: api})
	pc := loadConfig(t, azureYAML).Providers.Packer
	f.AddImage(pc.ImageName+"-20261201000000", azureTags(vm.ImageTags(pc)), time.Now().Add(-time.Hour))
	o := f.Options()
	env := map[string]string{"AZURE_TENANT_ID": o.Tenant, "AZURE_CLIENT_ID": o.ClientID, "AZURE_CLIENT_SECRET": o.ClientSecret,
		"AZURE_SUBSCRIPTION_ID": o.Subscription, "AZURE_SUBNET_ID": f.SubnetID(),
		"AZURE_SSH_PUBLIC_KEY": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly sindri@test", "PATH": "/nonexistent"}
	ssh := newSSHFake(t, func() []string { return f.Resources(azureTag(vm.LabelRole), vm.RoleEnvironment) }, f.UserData)
	p := vm.New(vm.Config{
		Binary: "/nonexistent/packer", Getenv: func(k string) string { return env[k] },
		Places:        map[config.PackerCloud][]string{config.CloudAzure: {o.Location}},
		AzureEndpoint: f.URL, AzureLoginEndpoint: f.URL, HTTPClient: f.Client(),
		APITimeout: 2 * time.Second, BackoffBase: time.Millisecond, PollInterval: 5 * time.Millisecond,
		BootTimeout: 20 * time.Second, Dial: ssh.Dial,
	})
	sshFakes.Store(p, ssh)
	return p, f
}

// azureSpec is a spec whose job credentials carry the service principal (the canaries).
func azureSpec(t testing.TB, env string, f *azuretest.Fake) *providers.Spec {
	s := envSpec(t, env)
	s.Config = loadConfig(t, azureYAML)
	o := f.Options()
	s.Credentials = []providers.SecretValue{
		{Name: "AZURE_TENANT_ID", Value: providertest.Canary(o.Tenant)},
		{Name: "AZURE_CLIENT_ID", Value: providertest.Canary(o.ClientID)},
		{Name: "AZURE_CLIENT_SECRET", Value: providertest.Canary(o.ClientSecret)},
	}
	return s
}

func azureConformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	return fakeConformance(t, faults, func(t *testing.T, api ...apifake.Option) (providers.Provider, wiredFake) {
		p, f := newAzureFake(t, api...)
		return p, wiredFake{api: f.API, spec: func(t *testing.T, env string) *providers.Spec { return azureSpec(t, env, f) },
			inventory: func(env string) []string { return f.Resources(azureTag(providers.LabelEnv), env) }}
	})
}

// TestConformanceVMAzure runs the shared provider conformance suite against the Resource
// Manager fake.
func TestConformanceVMAzure(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, azureConformance(t, false))
}

// TestConformanceFaultsVMAzure runs the suite with faults on (429, 503, 500, lost answers,
// hangs, delays), seeded by the subtest's name.
func TestConformanceFaultsVMAzure(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, azureConformance(t, true))
}
