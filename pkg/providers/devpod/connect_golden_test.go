package devpod_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/connectgolden"
)

// TestConnectCommentGolden deploys through a fake devpod and pins the PR comment's connect
// section built from the Connection Deploy reported (go test -update rewrites it).
func TestConnectCommentGolden(t *testing.T) {
	t.Parallel()
	fake := fakeDevpod(t, "docker", nil, 1) // unknown until Deploy's up
	p := devpod.New(devpod.Config{Binary: fake.Path, Home: filepath.Join(fake.Dir, "home"), PATH: "/usr/bin:/bin"})
	c, diags := config.Load("sindri.yaml", []byte("version: \"3.0\"\nname: app\ndeployment:\n  provider: devpod\n  image: ghcr.io/example/sindri:1\nextensions: {profile: minimal}\nproviders:\n  devpod: {type: docker}\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s, _ := fixtureSpec(p, c)
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	connectgolden.Compare(t, "devpod", s.Env, d.Connection, func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(fake.Dir), []byte("$FAKE")) })
}
