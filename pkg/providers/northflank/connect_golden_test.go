package northflank_test

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/connectgolden"
)

// TestConnectCommentGolden deploys to the Northflank fake and pins the PR comment's connect
// section built from the Connection Deploy reported (go test -update rewrites it).
func TestConnectCommentGolden(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t)
	env := "sindri-app-pr-7"
	s := &providers.Spec{Env: env, Config: loadConfig(t, conformanceConfig), Image: "ghcr.io/sindri/test:1",
		Labels: map[string]string{providers.LabelEnv: env, providers.LabelRepo: "o/r", providers.LabelManagedBy: providers.ManagedByValue}}
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	connectgolden.Compare(t, "northflank", env, d.Connection)
}
