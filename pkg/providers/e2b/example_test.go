package e2b_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
)

// The caller (cmd/executor, through pkg/providers/builtin) reads E2B_API_KEY and passes it in;
// the package reads no environment. A config that names no image runs a template (the team's
// templateAlias, else E2B's base), and Plan says so in its warnings; Deploy finds the sandbox
// by its metadata, so running it again changes nothing.
func Example() {
	cfg, diags := config.Load("sindri.yaml", []byte(`version: "3.0"
name: sbx
deployment:
  provider: e2b
extensions:
  profile: minimal
providers:
  e2b:
    timeout: 3600
`))
	if diags.HasErrors() {
		log.Fatal(diags)
	}
	p, err := e2b.New(e2b.Config{APIKey: "<E2B_API_KEY>"})
	if err != nil {
		log.Fatal(err)
	}
	plan, err := p.Plan(context.Background(), &providers.Spec{Env: "sbx-pr-7", Config: cfg})
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range plan.Warnings {
		fmt.Println(w)
	}
}
