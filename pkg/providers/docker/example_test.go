package docker_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// The caller (cmd/executor) reads DOCKER_HOST and passes it in; the package reads no
// environment. Deploy is find-or-create: running it again with the same spec changes nothing.
func Example() {
	p, err := docker.New(docker.Config{Host: "unix:///var/run/docker.sock"})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	spec := &providers.Spec{
		Env:   "myapp-pr-7",
		Image: "sindri-test/hello:1",
		Config: &config.Config{Version: "3.0", Name: "myapp", Deployment: config.Deployment{
			Provider: config.ProviderDocker, Image: "sindri-test/hello:1"},
			Providers: config.Providers{Docker: &config.DockerConfig{Ports: []string{"18080:8080"}}}},
		Options: providers.Options{Timeout: time.Minute},
	}
	ctx := context.Background()
	plan, err := p.Plan(ctx, spec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan.Artifacts["docker-compose.yml"])
	d, err := p.Deploy(ctx, spec, providers.NopReporter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Connection.HTTPURL, d.Connection.ExecCommand)
}
