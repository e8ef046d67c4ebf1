package e2b_test

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/providertest/connectgolden"
)

// TestConnectCommentGolden deploys to the E2B fake and pins the PR comment's connect section
// built from the Connection Deploy reported (go test -update rewrites it).
func TestConnectCommentGolden(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t, nil)
	s := newSpec(t, "sindri-app-pr-7", baseYAML)
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	connectgolden.Compare(t, "e2b", s.Env, d.Connection)
}
