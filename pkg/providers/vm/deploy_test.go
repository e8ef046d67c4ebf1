package vm_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// An instance that dies while pending is reported at once with EC2's reason, not at the
// timeout, and its reason is logged.
func TestDeployFailingInstanceFailsFast(t *testing.T) {
	t.Parallel()
	p, f := newEnvFake(t)
	for _, id := range f.Images() {
		f.FailLaunches(id, ec2.StateReason{Code: "Server.InternalError", Message: "Server.InternalError: Internal error on launch"})
	}
	deployFailsFast(t, p, envSpec(t, "failing"), "Internal error on launch")
	if left := f.Instances(providers.LabelEnv, "failing"); len(left) != 0 {
		t.Errorf("instances left: %v", left)
	}
}

// An instance that dies as it starts again is reported by Start at once; one that stops on
// its own shows as stopped with EC2's reason.
func TestStartOfDyingInstanceFailsFast(t *testing.T) {
	t.Parallel()
	p, f := newEnvFake(t)
	s := envSpec(t, "dying")
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := &providers.Spec{Env: s.Env, Labels: s.Labels, Options: providers.Options{Timeout: 10 * time.Minute}}
	ts.Handle, _ = providers.ParseHandle(d.Handle)
	id := f.Instances(providers.LabelEnv, "dying")[0]
	f.Kill(id, ec2.StateReason{Code: "Client.InstanceInitiatedShutdown", Message: "Client.InstanceInitiatedShutdown: Instance initiated shutdown"})
	st, err := p.Status(t.Context(), ts)
	if err != nil || st.State != providers.StateStopped || !strings.Contains(st.Details["state_reason"], "Instance initiated shutdown") {
		t.Errorf("Status of a killed instance = %+v, %v; want stopped with the reason", st, err)
	}
	for _, img := range f.Images() {
		f.FailLaunches(img, ec2.StateReason{Code: "Server.InsufficientInstanceCapacity", Message: "Server.InsufficientInstanceCapacity: no capacity"})
	}
	start := time.Now()
	if err := p.Start(t.Context(), ts); !errors.Is(err, providers.ErrWorkloadFailed) || !strings.Contains(err.Error(), "no capacity") {
		t.Errorf("Start of an instance that dies booting: %v, want ErrWorkloadFailed with the reason", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the failure took %v", d)
	}
}

// The instance's user data holds no credential and no secret; the launch carries the env's
// tags; the deployment says how to connect.
func TestDeployUserDataAndConnection(t *testing.T) {
	t.Parallel()
	p, f := newEnvFake(t)
	s := envSpec(t, "userdata")
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary("user-secret-value-123")}}
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := f.Instances(vm.LabelRole, vm.RoleEnvironment)
	if len(ids) != 1 {
		t.Fatalf("instances %v", ids)
	}
	ud := f.UserData(ids[0])
	for _, v := range []string{testCreds.id, testCreds.secret, testCreds.token, "user-secret-value-123"} {
		if strings.Contains(ud, v) {
			t.Errorf("user data holds a credential or secret:\n%s", ud)
		}
	}
	if !strings.Contains(ud, "SINDRI_ENV=userdata") || !strings.Contains(ud, "SINDRI_REPO=acme/app") {
		t.Errorf("user data:\n%s", ud)
	}
	if d.Connection == nil || !strings.HasPrefix(d.Connection.SSHCommand, "ssh ubuntu@203.0.113.") || !strings.Contains(d.Connection.Instructions, "Instance Connect") {
		t.Errorf("connection %+v", d.Connection)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings %q, want none", d.Warnings)
	}
	if got, _ := sshOf(p).written(ud); got != "API_TOKEN=user-secret-value-123\n" {
		t.Errorf("secrets written over ssh: %q", got)
	}
	if !strings.Contains(ud, "ssh_authorized_keys:\n  - ssh-ed25519 ") || !strings.Contains(ud, "/etc/profile.d/sindri-secrets.sh") {
		t.Errorf("user data lacks the delivery key or the profile script:\n%s", ud)
	}
	h, _ := providers.ParseHandle(d.Handle)
	if h == nil || !strings.Contains(string(h.State), `"region":"us-west-2"`) || !strings.Contains(string(h.State), ids[0]) {
		t.Errorf("handle %q, want cloud, region and instance id", d.Handle)
	}
}

// A newer image built from the config replaces the instance; an older config's image is
// never used.
func TestDeployNewImageReplacesInstance(t *testing.T) {
	t.Parallel()
	p, f := newEnvFake(t)
	s := envSpec(t, "newimage")
	if _, err := p.Deploy(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	first := f.Instances(providers.LabelEnv, "newimage")
	pc := s.Config.Providers.Packer
	other := *pc
	other.Build.Profile = "fullstack"
	f.AddImage("stale-config", vm.ImageTags(&other), time.Now().Add(time.Hour)) // newest, but another config
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil || d.Changed {
		t.Fatalf("Deploy with only another config's image newer: %+v, %v; want unchanged", d, err)
	}
	newer := f.AddImage("newer", vm.ImageTags(pc), time.Now())
	d, err = p.Deploy(t.Context(), s, nil)
	if err != nil || !d.Changed {
		t.Fatalf("Deploy after a new build: %+v, %v; want changed", d, err)
	}
	now := f.Instances(providers.LabelEnv, "newimage")
	if len(now) != 1 || now[0] == first[0] || !strings.Contains(d.Messages[0], newer) {
		t.Errorf("instances %v (before %v), message %q; want one new instance of %s", now, first, d.Messages, newer)
	}
}

// Without an image and without packer, Deploy says how to build one; a missing credential
// names its variable; every cloud runs environments.
func TestDeployRefusals(t *testing.T) {
	t.Parallel()
	f := ec2test.New(t, ec2test.Options{AccessKeyID: testCreds.id, SecretAccessKey: testCreds.secret, SessionToken: testCreds.token})
	p := newProviderFor(t, f)
	s := envSpec(t, "noimage")
	_, err := p.Deploy(t.Context(), s, nil)
	if !errors.Is(err, providers.ErrNotFound) || !strings.Contains(err.Error(), "vm build --cloud aws") {
		t.Errorf("Deploy without an image or packer: %v", err)
	}
	s.Credentials = nil
	bare := vm.New(vm.Config{Getenv: func(string) string { return "" }, EC2Endpoint: f.URL, HTTPClient: f.Client()})
	_, err = bare.Deploy(t.Context(), s, nil)
	if !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Errorf("Deploy without credentials: %v", err)
	}
	gs := envSpec(t, "gcp")
	gs.Config = loadConfig(t, gcpYAML)
	if _, err = p.Deploy(t.Context(), gs, nil); !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "GOOGLE_APPLICATION_CREDENTIALS") {
		t.Errorf("Deploy on gcp without its key: %v", err)
	}
	// Every cloud of providers.packer runs environments now: none is left to refuse.
	for _, c := range []config.PackerCloud{config.CloudAWS, config.CloudAzure, config.CloudGCP, config.CloudOCI, config.CloudAlibaba} {
		if !vm.Deploys(c) {
			t.Errorf("environments do not run on %s", c)
		}
	}
}

// With the delivery secret set, a later Deploy writes changed secrets again and skips
// unchanged ones; without it, a later Deploy cannot log in and warns instead; a delivery
// secret too short is refused before anything is made.
func TestDeploySecretsRedelivery(t *testing.T) {
	t.Parallel()
	secret := func(v string) []providers.SecretValue {
		return []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary(v)}}
	}
	for _, tc := range []struct {
		name, key string
		// third is what the fake holds after the 3rd Deploy (changed secrets), after writes
		// writes in all; warn whether the 3rd warns.
		third  string
		writes int
		warn   bool
	}{
		{"derived key", "redelivery-test-secret-0123456789abcdef", "API_TOKEN=second-value\n", 2, false},
		{"throwaway key", "", "API_TOKEN=first-value\n", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := ec2test.New(t, ec2test.Options{AccessKeyID: testCreds.id, SecretAccessKey: testCreds.secret, SessionToken: testCreds.token, Transition: 10 * time.Millisecond})
			pc := loadConfig(t, envYAML).Providers.Packer
			f.AddImage(pc.ImageName+"-20261201000000", vm.ImageTags(pc), time.Now().Add(-time.Hour))
			var extra []string
			if tc.key != "" {
				extra = []string{vm.DeliveryKeyVar, tc.key}
			}
			p := newProviderFor(t, f, extra...)
			s := envSpec(t, "redeliver")
			s.Secrets = secret("first-value")
			if _, err := p.Deploy(t.Context(), s, nil); err != nil {
				t.Fatal(err)
			}
			d, err := p.Deploy(t.Context(), s, nil)
			if err != nil || d.Changed {
				t.Fatalf("Deploy with the same secrets = %+v, %v; want unchanged", d, err)
			}
			s.Secrets = secret("second-value")
			if d, err = p.Deploy(t.Context(), s, nil); err != nil {
				t.Fatal(err)
			}
			id := f.Instances(providers.LabelEnv, "redeliver")[0]
			got, writes := sshOf(p).written(f.UserData(id))
			if got != tc.third || writes != tc.writes || (len(d.Warnings) > 0) != tc.warn {
				t.Errorf("after a change: file %q after %d writes, warnings %q; want %q after %d, warning %v", got, writes, d.Warnings, tc.third, tc.writes, tc.warn)
			}
			if tc.warn && !strings.Contains(strings.Join(d.Warnings, " "), vm.DeliveryKeyVar) {
				t.Errorf("warning %q does not say to set %s", d.Warnings, vm.DeliveryKeyVar)
			}
		})
	}
	f := ec2test.New(t, ec2test.Options{AccessKeyID: testCreds.id, SecretAccessKey: testCreds.secret, SessionToken: testCreds.token})
	p := newProviderFor(t, f, vm.DeliveryKeyVar, "short")
	if _, err := p.Deploy(t.Context(), envSpec(t, "shortkey"), nil); !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), vm.DeliveryKeyVar) {
		t.Errorf("Deploy with a short delivery secret: %v, want ErrInvalidSpec naming %s", err, vm.DeliveryKeyVar)
	}
	if n := len(f.Instances(providers.LabelEnv, "shortkey")); n != 0 {
		t.Errorf("%d instances made before the refusal", n)
	}
}

// deployFailsFast deploys s, whose instance does not come up, and requires Deploy to fail
// at once (not at s's ten-minute timeout) with ErrWorkloadFailed naming reason, logged.
func deployFailsFast(t *testing.T, p providers.Provider, s *providers.Spec, reason string) {
	t.Helper()
	s.Options.Timeout = 10 * time.Minute
	rec := &providertest.Recorder{}
	start := time.Now()
	_, err := p.Deploy(t.Context(), s, rec)
	if !errors.Is(err, providers.ErrWorkloadFailed) || !strings.Contains(err.Error(), reason) {
		t.Fatalf("Deploy = %v, want ErrWorkloadFailed naming the cloud's reason %q", err, reason)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the failure took %v", d)
	}
	if !strings.Contains(strings.Join(rec.Lines(), "\n"), reason) {
		t.Errorf("logged %q, want the reason", rec.Lines())
	}
}
