package fly_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/fly"
)

// The caller (cmd/executor, through pkg/providers/builtin) reads FLY_API_TOKEN and passes it
// in; the package reads no environment. Plan says what Deploy would do, with the exact calls
// and the fly.toml equivalent; Deploy is find-or-create, so running it again changes nothing.
func Example() {
	p, err := fly.New(fly.Config{Token: "<FLY_API_TOKEN>", AppPrefix: "acme"})
	if err != nil {
		log.Fatal(err)
	}
	spec := &providers.Spec{
		Env:   "web-pr-7",
		Image: "ghcr.io/pacphi/sindri:v3-latest",
		Config: &config.Config{Version: "3.0", Name: "web", Deployment: config.Deployment{Provider: config.ProviderFly},
			Providers: config.Providers{Fly: &config.FlyConfig{Region: "ams"}}},
		Labels:  map[string]string{providers.LabelRepo: "acme/web", providers.LabelPR: "7"},
		Options: providers.Options{Timeout: 10 * time.Minute},
	}
	ctx := context.Background()
	plan, err := p.Plan(ctx, spec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan.Artifacts["fly.toml"])
	d, err := p.Deploy(ctx, spec, providers.NopReporter{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Connection.SSHCommand)
}

// App names are global on Fly, so the environment's name gets a hash of the repository.
func ExampleAppName() {
	fmt.Println(fly.AppName("", "acme/web", "web-pr-7"))
	fmt.Println(fly.AppName("", "other/web", "web-pr-7"))
	fmt.Println(fly.AppName("acme", "acme/web", "web-pr-7"))
	// Output:
	// web-pr-7-8740d87f
	// web-pr-7-66cff823
	// acme-web-pr-7-8740d87f
}
