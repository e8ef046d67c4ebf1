package vm_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// execKey is the delivery secret of the Exec tests.
const execKey = "exec-test-delivery-secret-0123456789abcdef"

// Exec runs commands over SSH with the delivery key (the in-process SSH fake runs them with
// this machine's sh), after a Deploy whose secret delivery pinned the host key: output,
// exit codes, argv quoting, stderr apart, no terminal asked for and no standard input sent.
// Connection is the Deploy's way in.
func TestExecOverSSH(t *testing.T) {
	t.Parallel()
	p, _, d := deployWithSecret(t, "exec")
	local := envSpec(t, "exec") // `local connect`: no secrets, no labels to deploy with
	c, err := p.Connection(t.Context(), local)
	if err != nil || !reflect.DeepEqual(c, d.Connection) {
		t.Errorf("Connection = %+v, %v; want the Deploy's %+v", c, err, d.Connection)
	}
	vm.CheckExec(t, p, local)
	refused, stdin := sshOf(p).requests()
	if len(refused) != 0 || stdin != "" {
		t.Errorf("the SSH fake refused requests %q and was sent %q on stdin; want none (no terminal, no input)", refused, stdin)
	}
}

// Exec refuses, before it runs anything: a host key other than the pinned one, an instance
// without a pinned host key (never trusted on first use), no delivery secret, an instance
// that is not running, and no instance.
func TestExecRefusals(t *testing.T) {
	t.Parallel()
	p, f, _ := deployWithSecret(t, "exec-refused")
	s := envSpec(t, "exec-refused")
	bare := envSpec(t, "exec-nopin") // no secrets: the deploy never connects
	if _, err := p.Deploy(t.Context(), bare, nil); err != nil {
		t.Fatal(err)
	}
	// Another host (its own host key) answering at the instance's address.
	other := newProviderFor(t, f, vm.DeliveryKeyVar, execKey)
	noKey := newProviderFor(t, f)
	cmd := []string{"sh", "-c", "echo ran"}
	for _, tc := range []struct {
		name string
		p    *vm.Provider
		env  string
		is   error
		says string
	}{
		{"host key changed", other, "exec-refused", providers.ErrConflict, vm.LabelSSHHostKey},
		{"no host key pinned", p, "exec-nopin", providers.ErrAuth, vm.LabelSSHHostKey},
		{"no delivery secret", noKey, "exec-refused", providers.ErrAuth, vm.DeliveryKeyVar},
		{"no instance", p, "exec-none", providers.ErrNotFound, "no instance"},
	} {
		var out bytes.Buffer
		code, err := tc.p.Exec(t.Context(), envSpec(t, tc.env), cmd, &out, &out)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) || code != 0 || out.Len() != 0 {
			t.Errorf("%s: Exec = %d, %v, output %q; want an error (%v) naming %s, nothing run", tc.name, code, err, out.String(), tc.is, tc.says)
		}
	}
	if n := sshOf(other).commands(); n != 0 {
		t.Errorf("the other host ran %d commands", n)
	}
	if _, err := p.Connection(t.Context(), envSpec(t, "exec-none")); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Connection without an instance: %v, want ErrNotFound", err)
	}
	if err := p.Stop(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Exec(t.Context(), envSpec(t, "exec-refused"), cmd, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "start it first") {
		t.Errorf("Exec on a stopped instance: %v, want an error saying to start it", err)
	}
	if _, err := p.Exec(t.Context(), s, nil, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, providers.ErrInvalidSpec) {
		t.Errorf("Exec without a command: %v, want ErrInvalidSpec", err)
	}
}

// deployWithSecret deploys env with a secret and the delivery key execKey on a new EC2 fake,
// through its SSH fake, which pins the host key.
func deployWithSecret(t *testing.T, env string) (*vm.Provider, *ec2test.Fake, *providers.Deployment) {
	t.Helper()
	_, f := newEnvFake(t)
	p := newProviderFor(t, f, vm.DeliveryKeyVar, execKey)
	s := envSpec(t, env)
	s.Secrets = []providers.SecretValue{{Name: "API_TOKEN", Value: providertest.Canary("exec-value")}}
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, f, d
}
