package vm

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/internal/testsshd"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// Exec against Debian's real sshd playing the instance, after a Deploy whose delivery pinned
// its host key: output, exit codes, argv quoting, stderr apart (CheckExec); the command runs
// in the login user's home directory with the delivered secrets exported. A host key other
// than the pinned one, no delivery secret, and a stopped instance are refused, nothing run.
func TestExecOverRealSSH(t *testing.T) {
	rs := newRealSSH(t)
	const token = "exec heavy 'token' $x"
	s := rs.spec("sshexec", providers.SecretValue{Name: "API_TOKEN", Value: providertest.Canary(token)})
	installed := rs.authorizeOnLaunch(t, "sshexec")
	if _, err := rs.p.Deploy(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-installed; !ok {
		t.Fatal("no instance was launched")
	}
	local := rs.spec("sshexec") // `local connect`: no secrets
	CheckExec(t, rs.p, local)

	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	// The secret is compared on the instance, never printed.
	code, err := rs.p.Exec(t.Context(), local, []string{"sh", "-c", `pwd; [ "$API_TOKEN" = "$1" ] && echo secret-exported`, "sh", token}, &out, &errOut)
	if want := me.HomeDir + "\nsecret-exported\n"; err != nil || code != 0 || out.String() != want {
		t.Errorf("Exec(pwd, compare the secret) = %d, %v, stdout %q, stderr %q; want 0, %q", code, err, out.String(), errOut.String(), want)
	}

	marker := filepath.Join(t.TempDir(), "ran")
	touch := []string{"touch", marker}
	// Another sshd (its own host key) answering at the instance's address.
	other := testsshd.Start(t, providertest.ToolBinary(t, "sshd", "SINDRI_SSHD_BIN"))
	keys, err := os.ReadFile(rs.srv.AuthorizedKeys)
	if err != nil {
		t.Fatal(err)
	}
	testsshd.WriteFile(t, other.AuthorizedKeys, string(keys)) // it would let the key in
	noKey := maps.Clone(rs.env)
	delete(noKey, DeliveryKeyVar)
	for _, tc := range []struct {
		name string
		p    *Provider
		is   error
		says string
	}{
		{"host key changed", rs.provider(other.Port, rs.env), providers.ErrConflict, LabelSSHHostKey},
		{"no delivery secret", rs.provider(rs.srv.Port, noKey), providers.ErrAuth, DeliveryKeyVar},
	} {
		code, err := tc.p.Exec(t.Context(), local, touch, &out, &out)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) || code != 0 {
			t.Errorf("%s: Exec = %d, %v; want an error (%v) naming %s", tc.name, code, err, tc.is, tc.says)
		}
	}
	if err := rs.p.Stop(t.Context(), local); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.p.Exec(t.Context(), local, touch, &out, &out); err == nil || !strings.Contains(err.Error(), "start it first") {
		t.Errorf("Exec on a stopped instance: %v, want an error saying to start it", err)
	}
	if _, err := os.Stat(marker); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Exec ran its command (%v)", err)
	}
}
