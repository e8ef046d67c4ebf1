// Package connectgolden pins, per provider, the PR comment's connect section built from the
// Connection the provider's Deploy reports (the provider guide's connection methods table).
// It is apart from providertest because it links pkg/action and the golden package's -update
// flag, which not every provider test binary can take.
package connectgolden

import (
	"path/filepath"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

// Compare renders the PR comment of a ready environment whose Deploy reported c (the
// provider guide's connection methods table, row provider) and compares it with
// testdata/golden/connect.comment.md of the calling package; `go test -update` writes it from
// the output. Loopback ports, ids and times are normalised, so a fake's random port or a
// generated id does not change it; extra normalisers run first (a platform's own random ids).
func Compare(t *testing.T, provider, env string, c *providers.Connection, extra ...golden.Normalizer) {
	t.Helper()
	if c == nil {
		t.Fatal("Deploy reported no Connection")
	}
	v := action.View{Phase: action.PhaseReady, Provider: provider, Env: env, State: providers.StateRunning,
		Connection: c, URL: firstNonEmpty(c.HTTPSURL, c.HTTPURL)}
	out := golden.Normalize([]byte(action.RenderComment(v, action.NoRedaction)), append(extra, golden.LocalPorts, golden.IDs, golden.Timestamps)...)
	golden.Compare(t, filepath.Join("testdata", "golden", "connect.comment.md"), out)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
