package northflank_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/northflank"
)

// The caller (cmd/executor, through pkg/providers/builtin) reads NORTHFLANK_API_TOKEN and
// passes it in; the package reads no environment. Plan names the real compute plan and says
// what Northflank cannot do as asked (autoscaling drops the volume); Deploy is find-or-create
// by the environment's hashed names, so running it again changes nothing.
func Example() {
	cfg, diags := config.Load("sindri.yaml", []byte(`version: "3.0"
name: web
deployment:
  provider: northflank
  image: ghcr.io/pacphi/sindri:v3-latest
extensions:
  profile: minimal
providers:
  northflank:
    projectName: sindri-dev
    computePlan: nf-compute-200
    autoScaling: {enabled: true, minInstances: 1, maxInstances: 5}
`))
	if diags.HasErrors() {
		log.Fatal(diags)
	}
	p, err := northflank.New(northflank.Config{Token: "<NORTHFLANK_API_TOKEN>"})
	if err != nil {
		log.Fatal(err)
	}
	plan, err := p.Plan(context.Background(), &providers.Spec{Env: "web-pr-7", Config: cfg, Image: cfg.Deployment.Image})
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range plan.Warnings {
		fmt.Println(w)
	}
}
