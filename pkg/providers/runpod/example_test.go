package runpod_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/runpod"
)

// The caller (cmd/executor, through pkg/providers/builtin) reads RUNPOD_API_KEY and passes it
// in; the package reads no environment. A GPU named by tier is asked for by its exact RunPod
// id, and Plan prices it; Deploy is find-or-create by name and the SINDRI_ENV marker, so
// running it again changes nothing.
func Example() {
	cfg, diags := config.Load("sindri.yaml", []byte(`version: "3.0"
name: train
deployment:
  provider: runpod
  image: ghcr.io/pacphi/sindri:v3-latest
  resources:
    gpu: {enabled: true, tier: a4000}
extensions:
  profile: minimal
providers:
  runpod:
    cloudType: SECURE
`))
	if diags.HasErrors() {
		log.Fatal(diags)
	}
	p, err := runpod.New(runpod.Config{APIKey: "<RUNPOD_API_KEY>"})
	if err != nil {
		log.Fatal(err)
	}
	plan, err := p.Plan(context.Background(), &providers.Spec{Env: "train-pr-7", Config: cfg, Image: cfg.Deployment.Image})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range plan.Resources {
		fmt.Println(r.ResourceType, r.Name, r.Config["gpuTypeIds"])
	}
}
