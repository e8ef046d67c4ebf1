package vm_test

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/providertest/connectgolden"
)

// TestConnectCommentGolden deploys on the EC2 fake and pins the PR comment's connect section
// built from the Connection Deploy reported: the SSH command to the instance (go test -update
// rewrites it).
func TestConnectCommentGolden(t *testing.T) {
	t.Parallel()
	p, _ := newEnvFake(t)
	s := envSpec(t, "connect")
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	connectgolden.Compare(t, "packer", s.Env, d.Connection)
}
