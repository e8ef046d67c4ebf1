package kubernetes

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/connectgolden"
)

// On a real API server: Connection reads the environment back (kubectl exec in its
// namespace and context), Exec refuses with the exact kubectl command that runs the given
// command, and both say ErrNotFound for an environment that does not exist.
func TestConnectAndExec(t *testing.T) {
	t.Parallel()
	needCluster(t)
	env := "conn-" + randSuffix()
	ns := testNamespace(t, "ns-"+env)
	p := newTestProvider(t, Config{})
	s := testSpec(env, ns)
	ctx := context.Background()
	if _, err := p.Connection(ctx, s); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("Connection before Deploy: %v, want ErrNotFound", err)
	}
	d, err := p.Deploy(ctx, s, nil)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	// The PR comment's connect section from the Connection Deploy reported.
	connectgolden.Compare(t, "kubernetes", env, d.Connection, func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(env), []byte("<env>")) })
	t.Cleanup(func() { _ = p.Destroy(context.WithoutCancel(ctx), s) })
	bare := &providers.Spec{Env: env, Labels: s.Labels} // no config: found by its labels
	c, err := p.Connection(ctx, bare)
	if err != nil {
		t.Fatal(err)
	}
	want := "kubectl --context envtest exec -it deploy/" + env + " -n " + ns + " -c sindri -- /bin/bash"
	if c.ExecCommand != want {
		t.Errorf("exec command %q, want %q", c.ExecCommand, want)
	}
	_, err = p.Exec(ctx, bare, []string{"sh", "-c", "echo it's here"}, io.Discard, io.Discard)
	run := "kubectl --context envtest exec deploy/" + env + " -n " + ns + " -c sindri -- sh -c 'echo it'\\''s here'"
	if !errors.Is(err, providers.ErrUnsupported) || !strings.HasSuffix(err.Error(), run) {
		t.Errorf("Exec: %v\nwant ErrUnsupported ending in %s", err, run)
	}
}
