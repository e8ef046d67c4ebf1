package vm_test

import (
	"encoding/base64"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// deliveryKeyRE is the one key line of the delivery's cloud-config: a public ed25519 key.
var deliveryKeyRE = regexp.MustCompile(`(?m)^ssh_authorized_keys:\n  - ssh-ed25519 \S+ sindri-delivery$`)

// redeliver deploys s (env "redeliver") three times with a derived delivery key, the
// secrets first, first, then second: the unchanged set connects not at all, the changed one is
// written again (the pinned host key and the digest read back from the cloud's tags). It
// returns the instance's user data after checking that it carries the delivery's public key
// and nothing secret.
func redeliver(t *testing.T, p *vm.Provider, s *providers.Spec, instances func(env string) []string, userData func(id string) string) string {
	t.Helper()
	const key = "cloud-redelivery-secret-0123456789abcdef"
	s.Credentials = append(s.Credentials, providers.SecretValue{Name: vm.DeliveryKeyVar, Value: providertest.Canary(key)})
	for i, v := range []string{"first-value", "first-value", "second-value"} {
		s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary(v)}}
		d, err := p.Deploy(t.Context(), s, nil)
		if err != nil || len(d.Warnings) != 0 || d.Changed == (i == 1) {
			t.Fatalf("Deploy %d = %+v, %v; want no warning, changed unless the secrets are", i+1, d, err)
		}
	}
	ids := instances("redeliver")
	if len(ids) != 1 {
		t.Fatalf("instances %v", ids)
	}
	ud := userData(ids[0])
	if got, writes := sshOf(p).written(ud); got != "API_TOKEN=second-value\n" || writes != 2 || sshOf(p).commands() != 2 {
		t.Errorf("secrets %q after %d writes (%d commands), want the second value after 2 (the unchanged deploy connects not at all)", got, writes, sshOf(p).commands())
	}
	if n := len(deliveryKeyRE.FindAllString(ud, -1)); n != 1 || strings.Contains(ud, "PRIVATE KEY") {
		t.Errorf("user data has %d delivery public keys (want 1) or a private key:\n%s", n, ud)
	}
	for _, c := range append(s.Credentials, s.Secrets...) {
		if strings.Contains(ud, c.Value.Reveal()) {
			t.Errorf("user data holds the value of %s", c.Name)
		}
	}
	for _, v := range []string{"first-value", key} {
		if strings.Contains(ud, v) {
			t.Errorf("user data holds a secret or the delivery secret")
		}
	}
	return ud
}

// On GCE too (labels and metadata in place of tags), a derived delivery key writes changed
// secrets again, and an unchanged set not at all.
func TestDeploySecretsRedeliveryGCP(t *testing.T) {
	t.Parallel()
	p, f, key := newGCEFake(t)
	redeliver(t, p, gcpSpec(t, "redeliver", key), func(env string) []string { return f.Instances(gcpLabel(providers.LabelEnv), env) }, f.UserData)
}

// On OCI (freeform tags), the same; the delivery's cloud-config goes as metadata user_data
// (base64, the only metadata item when no ssh_authorized_keys are configured).
func TestDeploySecretsRedeliveryOCI(t *testing.T) {
	t.Parallel()
	p, f := newOCIEnv(t, nil)
	instances := func(env string) []string { return f.Instances(providers.LabelEnv, env) }
	ud := redeliver(t, p, ociSpec(t, "redeliver"), instances, f.UserData)
	md := f.Metadata(instances("redeliver")[0])
	if keys := slices.Sorted(maps.Keys(md)); !slices.Equal(keys, []string{"user_data"}) || md["user_data"] != base64.StdEncoding.EncodeToString([]byte(ud)) {
		t.Errorf("metadata items %v, want user_data only, the base64 of the cloud-config", keys)
	}
}

// On ECS (instance tags), the same; the cloud-config goes as RunInstances' UserData (base64).
func TestDeploySecretsRedeliveryAlicloud(t *testing.T) {
	t.Parallel()
	p, f := newAliEnv(t)
	ud := redeliver(t, p, aliSpec(t, "redeliver"), func(env string) []string { return f.Instances(providers.LabelEnv, env) }, f.UserData)
	var sent []string
	for _, e := range f.API.Requests() {
		if q, err := url.ParseQuery(e.Body); err == nil && q.Get("Action") == "RunInstances" {
			sent = append(sent, q.Get("UserData"))
		}
	}
	if len(sent) == 0 || sent[0] != base64.StdEncoding.EncodeToString([]byte(ud)) {
		t.Errorf("RunInstances UserData %q, want the base64 of the cloud-config", sent)
	}
}
