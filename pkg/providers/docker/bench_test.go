package docker_test

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// BenchmarkDeploy measures, in one run, the provider's deploy-to-running against two baselines
// and reports Destroy's time:
//   - plain: a bare container create+start of the same image (target deploy/plain <= 1.2);
//   - by-hand: the same resources the provider creates (a bridge network, a named volume
//     mounted at the home directory, the container on that network) made directly through the
//     Engine API, as a user scripting `docker network create`, `docker volume create` and
//     `docker run` would. deploy/by-hand is the provider's own overhead; the gap between the
//     two baselines is what the per-environment network costs the engine;
//   - user-net: a bare create+start like plain, but on a user-defined bridge made before the
//     loop (not timed). No deploy that keeps a network per environment can be faster than
//     this: user-net/plain is the floor of deploy/plain.
//
// Every baseline waits until the engine reports the container running. A deploy without
// published ports also waits out the stability window (Config.StableFor, 300 ms), which no
// baseline has: the same deploy with a 1 ms window (no-window) shows what the rest costs, and
// no-window/by-hand what the provider adds to the engine's own cost of the same resources.
func BenchmarkDeploy(b *testing.B) {
	needEngine(b)
	p := newProvider(b, docker.Config{})
	noWindow := newProvider(b, docker.Config{StableFor: time.Millisecond})
	cli := rawClient(b)
	ctx := context.Background()
	userNet := uniqueEnv("bench-usernet")
	if _, err := cli.NetworkCreate(ctx, userNet, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = cli.NetworkRemove(context.Background(), userNet, client.NetworkRemoveOptions{}) })
	var deployT, noWindowT, plainT, userNetT, byHandT, destroyT time.Duration
	for b.Loop() {
		name := uniqueEnv("bench-plain")
		t0 := time.Now()
		id := createStartRunning(b, cli, client.ContainerCreateOptions{Name: name, Image: image1})
		plainT += time.Since(t0)
		removeContainer(b, cli, id)

		name = uniqueEnv("bench-usernet")
		t0 = time.Now()
		id = createStartRunning(b, cli, client.ContainerCreateOptions{Name: name, Image: image1,
			HostConfig:       &container.HostConfig{NetworkMode: container.NetworkMode(userNet)},
			NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{userNet: {}}}})
		userNetT += time.Since(t0)
		removeContainer(b, cli, id)

		name = uniqueEnv("bench-hand")
		t0 = time.Now()
		if _, err := cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
			b.Fatal(err)
		}
		if _, err := cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name}); err != nil {
			b.Fatal(err)
		}
		id = createStartRunning(b, cli, client.ContainerCreateOptions{Name: name, Image: image1,
			HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(name),
				Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: name, Target: config.HomeDir}}},
			NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{name: {}}}})
		byHandT += time.Since(t0)
		removeContainer(b, cli, id)
		if _, err := cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{}); err != nil {
			b.Fatal(err)
		}
		if _, err := cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: true}); err != nil {
			b.Fatal(err)
		}

		s, took := benchDeploy(b, p, "bench")
		deployT += took
		t0 = time.Now()
		if err := p.Destroy(ctx, s); err != nil {
			b.Fatal(err)
		}
		destroyT += time.Since(t0)
		s, took = benchDeploy(b, noWindow, "bench-nw")
		noWindowT += took
		if err := p.Destroy(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(deployT.Milliseconds())/n, "deploy-ms/op")
	b.ReportMetric(float64(plainT.Milliseconds())/n, "plain-ms/op")
	b.ReportMetric(float64(userNetT.Milliseconds())/n, "user-net-ms/op")
	b.ReportMetric(float64(userNetT)/float64(plainT), "user-net/plain")
	b.ReportMetric(float64(byHandT.Milliseconds())/n, "by-hand-ms/op")
	b.ReportMetric(float64(destroyT.Milliseconds())/n, "destroy-ms/op")
	b.ReportMetric(float64(noWindowT.Milliseconds())/n, "no-window-ms/op")
	b.ReportMetric(float64(deployT)/float64(plainT), "deploy/plain")
	b.ReportMetric(float64(deployT)/float64(byHandT), "deploy/by-hand")
	b.ReportMetric(float64(noWindowT)/float64(plainT), "no-window/plain")
	// What the provider adds to the same resources made by hand: about 1 when the network is
	// made while the container is created, as Deploy does.
	b.ReportMetric(float64(noWindowT)/float64(byHandT), "no-window/by-hand")
}

// benchDeploy deploys a fresh environment with p and returns its spec and how long Deploy took.
func benchDeploy(b *testing.B, p *docker.Provider, prefix string) (*providers.Spec, time.Duration) {
	b.Helper()
	s := newSpec(uniqueEnv(prefix), image1, nil)
	t0 := time.Now()
	d, err := p.Deploy(context.Background(), s, providers.NopReporter{})
	took := time.Since(t0)
	if err != nil {
		b.Fatal(err)
	}
	if d.State != providers.StateRunning {
		b.Fatalf("state %v", d.State)
	}
	return s, took
}

// createStartRunning creates and starts a container and waits until the engine reports it
// running; it returns the container's id.
func createStartRunning(b *testing.B, cli *client.Client, o client.ContainerCreateOptions) string {
	b.Helper()
	ctx := context.Background()
	c, err := cli.ContainerCreate(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
		b.Fatal(err)
	}
	for {
		r, err := cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Container.State.Running {
			return c.ID
		}
	}
}

func removeContainer(b *testing.B, cli *client.Client, id string) {
	b.Helper()
	if _, err := cli.ContainerRemove(context.Background(), id, client.ContainerRemoveOptions{Force: true}); err != nil {
		b.Fatal(err)
	}
}
