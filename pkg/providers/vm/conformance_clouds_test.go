package vm_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud/alicloudtest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci/ocitest"
)

// cloudFake is one cloud's fake as the conformance runs see it.
type cloudFake struct {
	api *apifake.Server
	// instances lists env's instances that exist (billed), by id.
	instances func(env string) []string
}

// cloudCase is one cloud's conformance wiring: a provider on a fake holding the image built
// from the config, the environment's spec (credentials as job credentials), and the
// cloud's own fault rules besides apifake's chaos.
type cloudCase struct {
	newFake func(t *testing.T, api []apifake.Option) (*vm.Provider, cloudFake)
	spec    func(t testing.TB, env string) *providers.Spec
	faults  []apifake.Rule
}

func (cc cloudCase) conformance(t *testing.T, faults bool) providertest.ConformanceConfig {
	var fakes sync.Map // providers.Provider -> cloudFake
	inventory := func(t *testing.T, p providers.Provider, env string) []string {
		f, _ := fakes.Load(p)
		return f.(cloudFake).instances(env)
	}
	cfg := providertest.ConformanceConfig{
		NewProvider: func(t *testing.T) providers.Provider {
			var api []apifake.Option
			if faults {
				api = append(api, apifake.WithSeed(providertest.FaultSeed(t)))
			}
			p, f := cc.newFake(t, api)
			fakes.Store(providers.Provider(p), f)
			return p
		},
		NewSpec:     func(t *testing.T, env string) *providers.Spec { return cc.spec(t, env) },
		Leftovers:   inventory,
		Inventory:   inventory,
		CancelSweep: 5,
		Timeout:     time.Minute,
	}
	if faults {
		var tally providertest.FaultTally
		names := []string{"chaos 429", "chaos 503", "chaos lost create", "chaos hang", "chaos 500"}
		for _, r := range cc.faults {
			names = append(names, r.Name)
		}
		tally.Require(t, names...)
		cfg.RetryTransient = 20
		cfg.Faults = func(t *testing.T, p providers.Provider) func() {
			f, _ := fakes.Load(p)
			api := f.(cloudFake).api
			t.Cleanup(func() { tally.Add(api.Requests()) })
			// Each fake also meets every kind once at a fixed point, so that the tally's
			// requirement holds however the run's timing shifts the random draws (OCI sends
			// few POSTs for "lost create" to hit by chance).
			api.Add(apifake.Rule{Name: "chaos lost create", Route: "POST ", Nth: 1, Action: apifake.ApplyThenDrop()},
				apifake.Rule{Name: "chaos 500", Nth: 5, Action: apifake.Respond(http.StatusInternalServerError, nil)},
				apifake.Rule{Name: "chaos hang", Nth: 40, Action: apifake.Hang()})
			api.Add(apifake.ChaosRules(apifake.DefaultChaosRate)...)
			api.Add(apifake.Rule{Name: "chaos hang", Probability: 0.01, Action: apifake.Hang()},
				apifake.Rule{Name: "chaos 500", Probability: 0.01, Action: apifake.Respond(http.StatusInternalServerError, nil)})
			api.Add(cc.faults...)
			return api.ClearRules
		}
	}
	return cfg
}

// providerOn is a provider whose executor environment is env, talking to a fake at endpoint.
func providerOn(env map[string]string, cfg vm.Config) *vm.Provider {
	env["PATH"] = "/nonexistent"
	cfg.Binary, cfg.Getenv = "/nonexistent/packer", func(k string) string { return env[k] }
	cfg.APITimeout, cfg.BackoffBase, cfg.PollInterval, cfg.BootTimeout = 2*time.Second, time.Millisecond, 5*time.Millisecond, 20*time.Second
	return vm.New(cfg)
}

// providerWithSSH is providerOn whose secret deliveries reach an SSH fake (sshOf) playing the
// environment instances that instances lists, letting in the keys their userData authorizes.
func providerWithSSH(t *testing.T, env map[string]string, cfg vm.Config, instances func() []string, userData func(id string) string) *vm.Provider {
	ssh := newSSHFake(t, instances, userData)
	cfg.Dial = ssh.Dial
	p := providerOn(env, cfg)
	sshFakes.Store(p, ssh)
	return p
}

// specWith is a spec of yaml for env carrying creds as job credentials (canaries).
func specWith(t testing.TB, yaml, env string, creds map[string]string) *providers.Spec {
	s := &providers.Spec{
		Env:    env,
		Config: loadConfig(t, yaml),
		Labels: map[string]string{
			providers.LabelRepo: "acme/app", providers.LabelPR: "7", providers.LabelSHA: "abc123",
			providers.LabelManagedBy: providers.ManagedByValue, providers.LabelEnv: env,
			providers.LabelExpiresAt: "2026-12-31T00:00:00Z",
		},
		Options: providers.Options{Timeout: 20 * time.Second},
	}
	for k, v := range creds {
		s.Credentials = append(s.Credentials, providers.SecretValue{Name: k, Value: providertest.Canary(v)})
	}
	return s
}

// OCI: an API key whose private half is in a PEM file; the compartment and subnet come from
// the config, and from the executor for a teardown without one.
var ociTest = struct {
	once                sync.Once
	key                 *rsa.PrivateKey
	keyFile             string
	tenancy, user, fp   string
	compartment, region string
}{tenancy: "ocid1.tenancy.oc1..conformance" + randomHex(6), user: "ocid1.user.oc1..conformance" + randomHex(6),
	fp: "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99", compartment: "ocid1.compartment.oc1..conformance", region: "us-phoenix-1"}

const ociYAML = `version: "3.0"
name: vm-conf
deployment:
  provider: packer
providers:
  packer:
    cloud: oci
    profile: minimal
    oci:
      availability_domain: "Uocm:PHX-AD-1"
      compartment_ocid: ocid1.compartment.oc1..conformance
      subnet_ocid: ocid1.subnet.oc1..conformance
      shape: VM.Standard2.1
`

// ociKey writes the test process's OCI API key (PKCS#1 PEM) once.
func ociKey(t testing.TB) {
	ociTest.once.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "vm-oci-key")
		if err != nil {
			t.Fatal(err)
		}
		ociTest.key, ociTest.keyFile = k, filepath.Join(dir, "oci_api_key.pem")
		pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
		if err := os.WriteFile(ociTest.keyFile, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
	})
}

func ociCreds() map[string]string {
	return map[string]string{"OCI_TENANCY_OCID": ociTest.tenancy, "OCI_USER_OCID": ociTest.user,
		"OCI_FINGERPRINT": ociTest.fp, "OCI_KEY_FILE": ociTest.keyFile}
}

// newOCIEnv starts an OCI fake holding the image built from ociYAML's config, and a
// provider wired to it.
func newOCIEnv(t *testing.T, api []apifake.Option, opts ...func(env map[string]string)) (*vm.Provider, *ocitest.Fake) {
	ociKey(t)
	f := ocitest.New(t, ocitest.Options{Region: ociTest.region, Tenancy: ociTest.tenancy, User: ociTest.user, Fingerprint: ociTest.fp,
		Key: ociTest.key, Compartment: ociTest.compartment, Transition: 20 * time.Millisecond, API: api})
	pc := loadConfig(t, ociYAML).Providers.Packer
	f.AddImage(pc.ImageName+"-20261201000000", vm.ImageTags(pc), time.Now().Add(-time.Hour))
	env := ociCreds()
	env["OCI_REGION"], env["OCI_COMPARTMENT_OCID"] = ociTest.region, ociTest.compartment
	for _, o := range opts {
		o(env)
	}
	return providerWithSSH(t, env, vm.Config{OCIEndpoint: f.URL, HTTPClient: f.Client(),
		Places: map[config.PackerCloud][]string{config.CloudOCI: {ociTest.region}}},
		func() []string { return f.Instances(vm.LabelRole, vm.RoleEnvironment) }, f.UserData), f
}

func ociSpec(t testing.TB, env string) *providers.Spec {
	ociKey(t)
	return specWith(t, ociYAML, env, ociCreds())
}

var ociCase = cloudCase{
	newFake: func(t *testing.T, api []apifake.Option) (*vm.Provider, cloudFake) {
		p, f := newOCIEnv(t, api)
		return p, cloudFake{api: f.API, instances: func(env string) []string { return f.Instances(providers.LabelEnv, env) }}
	},
	spec: ociSpec,
}

// TestConformanceVMOCI runs the shared provider conformance suite against the OCI fake.
func TestConformanceVMOCI(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, ociCase.conformance(t, false))
}

// TestConformanceFaultsVMOCI runs the suite against the OCI fake with faults on: 429, 503,
// 500, calls applied with their answer lost (a launch is resent with its opc-retry-token),
// hangs until the client's timeout, and delays.
func TestConformanceFaultsVMOCI(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, ociCase.conformance(t, true))
}

// Alibaba: an AccessKey; the region, vSwitch and security group come from the config.
var aliTest = struct{ key, secret, region string }{"LTAIconformance" + randomHex(4), "ali-conformance-secret-" + randomHex(8), "cn-hangzhou"}

const aliYAML = `version: "3.0"
name: vm-conf
deployment:
  provider: packer
providers:
  packer:
    cloud: alibaba
    profile: minimal
    region: cn-hangzhou
    alibaba:
      vswitch_id: vsw-bp1conformance
      security_group_id: sg-bp1conformance01
`

func aliCreds() map[string]string {
	return map[string]string{"ALICLOUD_ACCESS_KEY": aliTest.key, "ALICLOUD_SECRET_KEY": aliTest.secret}
}

// newAliEnv starts an ECS fake holding the image built from aliYAML's config, and a
// provider wired to it.
func newAliEnv(t *testing.T, api ...apifake.Option) (*vm.Provider, *alicloudtest.Fake) {
	f := alicloudtest.New(t, alicloudtest.Options{Region: aliTest.region, AccessKeyID: aliTest.key, AccessKeySecret: aliTest.secret,
		Transition: 15 * time.Millisecond, API: api})
	pc := loadConfig(t, aliYAML).Providers.Packer
	f.AddImage(pc.ImageName+"-20261201000000", vm.ImageTags(pc), time.Now().Add(-time.Hour))
	return providerWithSSH(t, aliCreds(), vm.Config{ECSEndpoint: f.URL, HTTPClient: f.Client(),
		Places: map[config.PackerCloud][]string{config.CloudAlibaba: {aliTest.region}}},
		func() []string { return f.Instances(vm.LabelRole, vm.RoleEnvironment) }, f.UserData), f
}

func aliSpec(t testing.TB, env string) *providers.Spec { return specWith(t, aliYAML, env, aliCreds()) }

var aliCase = cloudCase{
	newFake: func(t *testing.T, api []apifake.Option) (*vm.Provider, cloudFake) {
		p, f := newAliEnv(t, api...)
		return p, cloudFake{api: f.API, instances: func(env string) []string { return f.Instances(providers.LabelEnv, env) }}
	},
	spec: aliSpec,
	// ECS throttles with HTTP 400 and a Throttling code, which the client retries itself.
	faults: []apifake.Rule{
		{Name: "chaos throttling 400", Nth: 3, Action: apifake.Respond(http.StatusBadRequest, alicloudtest.ThrottleBody)},
		{Name: "chaos throttling 400", Probability: apifake.DefaultChaosRate, Action: apifake.Respond(http.StatusBadRequest, alicloudtest.ThrottleBody)},
	},
}

// TestConformanceVMAlicloud runs the shared provider conformance suite against the ECS fake.
func TestConformanceVMAlicloud(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, aliCase.conformance(t, false))
}

// TestConformanceFaultsVMAlicloud runs the suite against the ECS fake with faults on: ECS's
// throttling (HTTP 400 Throttling.User), 429, 503, 500, calls applied with their answer lost
// (RunInstances resent with its ClientToken, a fresh nonce each time), hangs and delays.
func TestConformanceFaultsVMAlicloud(t *testing.T) {
	t.Parallel()
	providertest.Conformance(t, aliCase.conformance(t, true))
}

// TestRequestOperationsVM checks the metric operation of every request a deploy, stop, start
// and destroy report on each cloud: a fixed phrase, never a method alone or an id. Not
// parallel: the request observer is process-wide.
func TestRequestOperationsVM(t *testing.T) {
	providertest.RequestOperations(t, vm.Name, vmConformance(t, false))
	providertest.RequestOperations(t, vm.Name, ociCase.conformance(t, false))
	providertest.RequestOperations(t, vm.Name, aliCase.conformance(t, false))
	providertest.RequestOperations(t, vm.Name, gcpConformance(t, false))
	providertest.RequestOperations(t, vm.Name, azureConformance(t, false))
}
