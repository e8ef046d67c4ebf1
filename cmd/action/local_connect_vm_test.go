package main

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// `local connect` on a packer environment, against the EC2 fake, across separate local calls:
// connect prints the ssh command Deploy reported; `-- CMD` goes to the provider's Exec, which
// refuses without SINDRI_VM_DELIVERY_KEY, and with it refuses an instance whose host key no
// secret delivery pinned (this deploy had no secrets), before connecting. The local path
// reaches no sshd (the provider's port and user are not settings): the commands themselves
// run in pkg/providers/vm's tests, against an SSH fake and Debian's sshd.
func TestLocalConnectVM(t *testing.T) {
	t.Parallel()
	cfgPath, f, env, _ := awsLocal(t, []byte("version: \"3.0\"\nname: connect-vm\ndeployment:\n  provider: packer\nproviders:\n  packer:\n    cloud: aws\n    region: us-west-2\n"))
	cr := f.Credentials()
	sh := localShell(t, func(k string) string { return env[k] }, cr.SecretAccessKey)
	sh(0, "local", "vm", "deploy", "--cloud", "aws", "-c", cfgPath)
	if out := sh(0, "local", "connect", "-c", cfgPath); !strings.Contains(out, "ssh ubuntu@203.0.113.") {
		t.Errorf("connect does not print the ssh command:\n%s", out)
	}
	if out := sh(1, "local", "connect", "-c", cfgPath, "--", "echo", "hi"); !strings.Contains(out, vm.DeliveryKeyVar+" is not set") {
		t.Errorf("connect -- CMD without the delivery key:\n%s", out)
	}
	const key = "local-connect-delivery-secret-0123456789"
	env[vm.DeliveryKeyVar] = key
	sh = localShell(t, func(k string) string { return env[k] }, key)
	if out := sh(1, "local", "connect", "-c", cfgPath, "--", "echo", "hi"); !strings.Contains(out, "no pinned ssh host key (tag "+vm.LabelSSHHostKey+")") {
		t.Errorf("connect -- CMD on an instance without a pinned host key:\n%s", out)
	}
	sh(0, "local", "stop", "-provider", "packer", "-c", cfgPath)
	if out := sh(1, "local", "connect", "-c", cfgPath, "--", "echo", "hi"); !strings.Contains(out, "is stopped") {
		t.Errorf("connect -- CMD on a stopped instance:\n%s", out)
	}
	sh(0, "local", "destroy", "-provider", "packer", "-c", cfgPath)
}
