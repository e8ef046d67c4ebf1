package vm_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// Fake AWS credentials of this test process: every fake accepts them, every spec carries them.
var testCreds = struct{ id, secret, token string }{"AKIAVMCONFORMANCE001", "vm-conformance-secret-" + randomHex(8), "vm-conformance-token-" + randomHex(8)}

const envYAML = `version: "3.0"
name: vm-conf
deployment:
  provider: packer
providers:
  packer:
    cloud: aws
    profile: minimal
    region: us-west-2
    aws:
      instance_type: t3.medium
`

// newEnvFake starts an EC2 fake holding the image built from envYAML's config, and a
// provider wired to it.
func newEnvFake(t *testing.T, api ...apifake.Option) (*vm.Provider, *ec2test.Fake) {
	t.Helper()
	f := ec2test.New(t, ec2test.Options{Region: "us-west-2", AccessKeyID: testCreds.id, SecretAccessKey: testCreds.secret,
		SessionToken: testCreds.token, Transition: 20 * time.Millisecond, API: api})
	pc := loadConfig(t, envYAML).Providers.Packer
	f.AddImage(pc.ImageName+"-20261201000000", vm.ImageTags(pc), time.Now().Add(-time.Hour))
	return newProviderFor(t, f), f
}

// sshFakes maps each provider newProviderFor made to the SSH fake its deliveries reach.
var sshFakes sync.Map // *vm.Provider -> *sshFake

// newProviderFor returns a provider wired to f, its secret deliveries to an SSH fake playing
// f's instances (sshOf), with env's extra executor variables.
func newProviderFor(t *testing.T, f *ec2test.Fake, extra ...string) *vm.Provider {
	env := map[string]string{"AWS_ACCESS_KEY_ID": testCreds.id, "AWS_SECRET_ACCESS_KEY": testCreds.secret,
		"AWS_SESSION_TOKEN": testCreds.token, "PATH": "/nonexistent"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	ssh := newSSHFake(t, func() []string { return f.Instances(vm.LabelRole, vm.RoleEnvironment) }, f.UserData)
	p := vm.New(vm.Config{
		Binary: "/nonexistent/packer", Getenv: func(k string) string { return env[k] },
		Regions: []string{f.Region()}, EC2Endpoint: f.URL, HTTPClient: f.Client(),
		APITimeout: 2 * time.Second, BackoffBase: time.Millisecond, PollInterval: 5 * time.Millisecond,
		BootTimeout: 20 * time.Second, Dial: ssh.Dial,
	})
	sshFakes.Store(p, ssh)
	return p
}

func sshOf(p *vm.Provider) *sshFake {
	s, _ := sshFakes.Load(p)
	return s.(*sshFake)
}

func loadConfig(t testing.TB, y string) *config.Config {
	t.Helper()
	c, diags := config.Load("sindri.yaml", []byte(y))
	if c == nil {
		t.Fatalf("config: %v", diags)
	}
	return c
}

func envSpec(t testing.TB, env string) *providers.Spec {
	return &providers.Spec{
		Env:    env,
		Config: loadConfig(t, envYAML),
		Labels: map[string]string{
			providers.LabelRepo: "acme/app", providers.LabelPR: "7", providers.LabelSHA: "abc123",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: env,
			providers.LabelExpiresAt: "2026-12-31T00:00:00Z",
		},
		Credentials: []providers.SecretValue{
			{Name: "AWS_ACCESS_KEY_ID", Value: providertest.Canary(testCreds.id)},
			{Name: "AWS_SECRET_ACCESS_KEY", Value: providertest.Canary(testCreds.secret)},
			{Name: "AWS_SESSION_TOKEN", Value: providertest.Canary(testCreds.token)},
		},
		Options: providers.Options{Timeout: 20 * time.Second},
	}
}

// wiredFake is one provider under test and its fake: the fault-injecting server, what
// exists of an env (ids), and a spec for an env.
type wiredFake struct {
	api       *apifake.Server
	inventory func(env string) []string
	spec      func(t *testing.T, env string) *providers.Spec
}

// fakeConformance is the conformance config of providers that newFake wires to a fresh fake
// each (with the apifake options given); with faults on, the fake answers 429, 503, 500,
// lost answers, hangs and delays, seeded by the subtest's name.
func fakeConformance(t *testing.T, faults bool, newFake func(t *testing.T, api ...apifake.Option) (providers.Provider, wiredFake)) providertest.ConformanceConfig {
	var fakes sync.Map  // providers.Provider -> wiredFake
	var byTest sync.Map // *testing.T -> wiredFake
	wired := func(p providers.Provider) wiredFake {
		w, _ := fakes.Load(p)
		return w.(wiredFake)
	}
	inventory := func(t *testing.T, p providers.Provider, env string) []string { return wired(p).inventory(env) }
	cfg := providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider {
			var api []apifake.Option
			if faults {
				api = append(api, apifake.WithSeed(providertest.FaultSeed(t)))
			}
			p, w := newFake(t, api...)
			fakes.Store(p, w)
			byTest.Store(t, w)
			return p
		},
		NewSpec: func(t *testing.T, env string) *providers.Spec {
			w, ok := byTest.Load(t)
			if !ok {
				t.Fatal("NewSpec before NewProvider")
			}
			return w.(wiredFake).spec(t, env)
		},
		Leftovers:   inventory,
		Inventory:   inventory,
		CancelSweep: 5, // Deploy's progress steps
		Timeout:     time.Minute,
	}
	if faults {
		var tally providertest.FaultTally
		tally.Require(t, "chaos 429", "chaos 503", "chaos lost create", "chaos hang", "chaos 500")
		cfg.RetryTransient = 20
		cfg.Faults = func(t *testing.T, p providers.Provider) func() {
			api := wired(p).api
			t.Cleanup(func() { tally.Add(api.Requests()) })
			api.Add(apifake.ChaosRules(apifake.DefaultChaosRate)...)
			api.Add(apifake.Rule{Name: "chaos hang", Probability: 0.01, Action: apifake.Hang()},
				apifake.Rule{Name: "chaos 500", Probability: 0.01, Action: apifake.Respond(http.StatusInternalServerError, nil)})
			return api.ClearRules
		}
	}
	return cfg
}

func vmConformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	return fakeConformance(t, faults, func(t *testing.T, api ...apifake.Option) (providers.Provider, wiredFake) {
		p, f := newEnvFake(t, api...)
		return p, wiredFake{api: f.API, spec: func(t *testing.T, env string) *providers.Spec { return envSpec(t, env) },
			inventory: func(env string) []string { return f.Instances(providers.LabelEnv, env) }}
	})
}

// TestConformanceVM runs the shared provider conformance suite against the EC2 fake.
func TestConformanceVM(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, vmConformance(t, false))
}

// TestConformanceFaultsVM runs the suite with faults on: 429, 503 (RequestLimitExceeded),
// 500, calls applied with their answer lost, hangs until the client's timeout, and delays,
// seeded by the subtest's name. Every operation must converge to one instance per env and
// leave none after Destroy.
func TestConformanceFaultsVM(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, vmConformance(t, true))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
