package docker_test

import (
	"context"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

func TestList(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	ctx := context.Background()
	env := uniqueEnv("list")
	s := newSpec(env, image1, nil)
	s.Labels[providers.LabelExpiresAt] = "1700000000"
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	got, err := p.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found *providers.Managed
	for i := range got {
		if got[i].Env == env {
			found = &got[i]
		}
	}
	if found == nil {
		t.Fatalf("List did not return %s: %+v", env, got)
	}
	if found.State != providers.StateRunning || found.Labels[providers.LabelExpiresAt] != "1700000000" {
		t.Errorf("List entry = %+v, want running with expires-at 1700000000", *found)
	}
	if err := p.Destroy(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err = p.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if m.Env == env {
			t.Errorf("List still returns %s after Destroy", env)
		}
	}
}
