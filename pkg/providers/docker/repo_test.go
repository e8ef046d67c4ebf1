package docker_test

import (
	"context"
	"slices"
	"testing"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// TestOtherRepoSameEnvIsAConflict: two repositories whose configs derive the same env name
// share one engine. The second one's operations are conflicts, and its Destroy removes nothing
// of the first one's environment.
func TestOtherRepoSameEnvIsAConflict(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	ctx := testCtx(t)
	env := uniqueEnv("repo")
	one := newSpec(env, image1, nil)
	one.Labels[providers.LabelRepo] = "acme/one"
	two := newSpec(env, image1, nil)
	two.Labels[providers.LabelRepo] = "acme/two"

	deployed(t, p, one, nil)
	first, err := cli.ContainerInspect(ctx, env, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := leftovers(t, cli, env)
	slices.Sort(before)
	if len(before) < 3 { // container, <env>_home volume, <env>_net network
		t.Fatalf("resources of %s after Deploy: %v, want a container, a volume and a network", env, before)
	}

	_, err = p.Plan(ctx, two)
	wantErrIs(t, err, providers.ErrConflict)
	_, err = p.Deploy(ctx, two, nil)
	wantErrIs(t, err, providers.ErrConflict)
	_, err = p.Status(ctx, two)
	wantErrIs(t, err, providers.ErrConflict)
	wantErrIs(t, p.Stop(ctx, two), providers.ErrConflict)
	wantErrIs(t, p.Start(ctx, two), providers.ErrConflict)
	if err := p.Destroy(ctx, two); err != nil {
		t.Fatalf("Destroy(other repo) = %v, want nil (nothing of its own there)", err)
	}

	after := leftovers(t, cli, env)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("resources of %s changed by the other repo: before %v, after %v", env, before, after)
	}
	st, err := p.Status(ctx, one)
	if err != nil || st.State != providers.StateRunning {
		t.Fatalf("Status(owner) = %+v, %v; want running", st, err)
	}
	res, err := cli.ContainerInspect(ctx, env, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Container.ID != first.Container.ID {
		t.Errorf("owner's container replaced: %s, was %s", res.Container.ID, first.Container.ID)
	}

	// Without the container, the other repo's Deploy still meets the owner's volume and
	// network, and must neither adopt nor remove them.
	if _, err := cli.ContainerRemove(ctx, res.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	_, err = p.Plan(ctx, two)
	wantErrIs(t, err, providers.ErrConflict)
	_, err = p.Deploy(ctx, two, nil)
	wantErrIs(t, err, providers.ErrConflict)
	if _, err := cli.ContainerInspect(ctx, env, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("the other repo's refused Deploy left a container named %s", env)
	}
	for _, name := range []string{env + "_home"} {
		v, err := cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
		if err != nil || v.Volume.Labels[providers.LabelRepo] != "acme/one" {
			t.Errorf("volume %s after the other repo's Deploy: %+v, %v; want the owner's", name, v.Volume.Labels, err)
		}
	}
	n, err := cli.NetworkInspect(ctx, env+"_net", client.NetworkInspectOptions{})
	if err != nil || n.Network.Labels[providers.LabelRepo] != "acme/one" {
		t.Errorf("network %s_net after the other repo's Deploy: %+v, %v; want the owner's", env, n.Network.Labels, err)
	}

	// The owner can deploy again over its own volume and network.
	if _, err := p.Deploy(ctx, one, nil); err != nil {
		t.Fatalf("owner's redeploy: %v", err)
	}
}

// TestResourcesWithoutRepoLabelStayManageable: a spec naming a repository still manages an
// environment whose resources predate the repository label.
func TestResourcesWithoutRepoLabelStayManageable(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	cli := rawClient(t)
	ctx := testCtx(t)
	env := uniqueEnv("norepo")
	old := newSpec(env, image1, nil)
	delete(old.Labels, providers.LabelRepo)
	deployed(t, p, old, nil)

	withRepo := newSpec(env, image1, nil)
	withRepo.Labels[providers.LabelRepo] = "acme/one"
	st, err := p.Status(ctx, withRepo)
	if err != nil || st.State != providers.StateRunning {
		t.Fatalf("Status = %+v, %v; want running", st, err)
	}
	if err := p.Destroy(context.WithoutCancel(ctx), withRepo); err != nil {
		t.Fatal(err)
	}
	if left := leftovers(t, cli, env); len(left) != 0 {
		t.Errorf("leftovers after Destroy: %v", left)
	}
}
