package docker_test

import (
	"context"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// BenchmarkDeploy measures, in one run, the provider's deploy-to-running against a plain
// container create+start of the same image (target ratio <= 1.5), and Destroy. The plain
// baseline also waits until the engine reports the container running.
func BenchmarkDeploy(b *testing.B) {
	needEngine(b)
	p := newProvider(b, docker.Config{})
	cli := rawClient(b)
	ctx := context.Background()
	var deployT, plainT, destroyT time.Duration
	for i := 0; b.Loop(); i++ {
		name := uniqueEnv("bench-plain")
		t0 := time.Now()
		c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Image: image1})
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
				break
			}
		}
		plainT += time.Since(t0)
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			b.Fatal(err)
		}

		s := newSpec(uniqueEnv("bench"), image1, nil)
		t0 = time.Now()
		d, err := p.Deploy(ctx, s, providers.NopReporter{})
		if err != nil {
			b.Fatal(err)
		}
		deployT += time.Since(t0)
		if d.State != providers.StateRunning {
			b.Fatalf("state %v", d.State)
		}
		t0 = time.Now()
		if err := p.Destroy(ctx, s); err != nil {
			b.Fatal(err)
		}
		destroyT += time.Since(t0)
	}
	n := float64(b.N)
	b.ReportMetric(float64(deployT.Milliseconds())/n, "deploy-ms/op")
	b.ReportMetric(float64(plainT.Milliseconds())/n, "plain-ms/op")
	b.ReportMetric(float64(destroyT.Milliseconds())/n, "destroy-ms/op")
	b.ReportMetric(float64(deployT)/float64(plainT), "deploy/plain")
}
