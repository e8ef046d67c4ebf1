package devpod_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
)

// The caller (cmd/executor, through pkg/providers/builtin) gives the binary and DEVPOD_HOME;
// the package reads no environment itself. Plan shows the devcontainer.json and the exact
// devpod calls; Deploy is find-or-create by workspace id, streaming devpod's output to the
// Reporter, so running it again changes nothing. It is not run by go test (it needs devpod
// and a Docker engine); TestConformanceDevPod runs the same calls.
func Example() {
	cfg, diags := config.Load("sindri.yaml", []byte(`version: "3.0"
name: web
deployment:
  provider: devpod
  image: ghcr.io/pacphi/sindri:v3-latest
extensions:
  profile: minimal
providers:
  devpod:
    type: docker
`))
	if diags.HasErrors() {
		log.Fatal(diags)
	}
	p := devpod.New(devpod.Config{Binary: "/usr/local/bin/devpod", Home: "/var/lib/sindri/devpod"})
	s := &providers.Spec{Env: "web-pr-7", Config: cfg, Image: cfg.Deployment.Image}
	plan, err := p.Plan(context.Background(), s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan.Artifacts[devpod.ArtifactName])
	for _, c := range plan.Calls {
		fmt.Println(c)
	}
	d, err := p.Deploy(context.Background(), s, providers.NopReporter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.State, d.Connection.SSHCommand)
}
