package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sindri/deploy/v3/pkg/cost"
)

// fileCost is executor.hcl's cost block (docs/cost.md): overrides of the providers' prices and
// the spending policy.
type fileCost struct {
	MaxHourlyPerEnv  *float64         `hcl:"max_hourly_per_env,optional"`
	MaxHourlyPerRepo *float64         `hcl:"max_hourly_per_repo,optional"`
	AllowedRegions   []string         `hcl:"allowed_regions,optional"`
	AllowedGPUs      map[string]int   `hcl:"allowed_gpus,optional"`
	IdleStop         *string          `hcl:"idle_stop,optional"`
	Price            []filePrice      `hcl:"price,block"`
	Repository       []fileRepository `hcl:"repository,block"`
}

// filePrice is `price "<provider>" { hourly = .., stopped_hourly = .. }`.
type filePrice struct {
	Provider      string   `hcl:"provider,label"`
	Hourly        *float64 `hcl:"hourly,optional"`
	StoppedHourly *float64 `hcl:"stopped_hourly,optional"`
}

// fileRepository is `repository "<pattern>" { providers = [..], idle_stop = ".." }`: at least
// one of the two.
type fileRepository struct {
	Pattern   string   `hcl:"pattern,label"`
	Providers []string `hcl:"providers,optional"`
	IdleStop  *string  `hcl:"idle_stop,optional"`
}

// repoIdle reads the repository blocks' idle_stop against the executor's (idle): a value that
// is not a positive duration is an error; a longer one is kept (it changes nothing) with a
// warning saying it cannot lengthen the executor's.
func repoIdle(where func(pattern string) string, fc *fileCost, idle time.Duration) (repos []cost.RepoIdle, warnings []string, err error) {
	if fc == nil {
		return nil, nil, nil
	}
	var errs []error
	for _, r := range fc.Repository {
		if r.IdleStop == nil {
			continue
		}
		attr := "cost.repository." + r.Pattern + ".idle_stop"
		d, perr := time.ParseDuration(*r.IdleStop)
		if perr != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %s: %q is not a positive duration like \"30m\" (leave it out for the executor's idle_stop)", where(r.Pattern), attr, *r.IdleStop))
			continue
		}
		if idle > 0 && d > idle {
			warnings = append(warnings, fmt.Sprintf("%s: %s %s cannot lengthen cost.idle_stop %s; %s applies", where(r.Pattern), attr, d, idle, idle))
		}
		repos = append(repos, cost.RepoIdle{Pattern: r.Pattern, After: d})
	}
	return repos, warnings, errors.Join(errs...)
}

// costFromFile checks the block and returns the prices and policy it sets. Errors name the
// attribute (cost.<name>) and what is wrong with it.
func costFromFile(where func(attr string) string, fc *fileCost) (cost.Prices, cost.Policy, error) {
	var pol cost.Policy
	if fc == nil {
		return nil, pol, nil
	}
	var errs []error
	bad := func(attr, why string) {
		errs = append(errs, fmt.Errorf("%s: cost.%s: %s", where("cost."+attr), attr, why))
	}
	nonNeg := func(attr string, v *float64) float64 {
		if v == nil {
			return 0
		}
		if *v < 0 {
			bad(attr, "must not be negative (0 or leave it out for no limit)")
			return 0
		}
		return *v
	}
	pol.MaxHourlyPerEnv = nonNeg("max_hourly_per_env", fc.MaxHourlyPerEnv)
	pol.MaxHourlyPerRepo = nonNeg("max_hourly_per_repo", fc.MaxHourlyPerRepo)
	pol.Regions = fc.AllowedRegions
	if fc.AllowedGPUs != nil {
		pol.GPUs = map[string]int{}
		for m, n := range fc.AllowedGPUs {
			if n < 0 {
				bad("allowed_gpus", fmt.Sprintf("the count of %q must not be negative", m))
			}
			pol.GPUs[m] = n
		}
	}
	prices := cost.Prices{}
	for _, p := range fc.Price {
		if _, dup := prices[p.Provider]; dup {
			bad("price", fmt.Sprintf("provider %q is priced twice", p.Provider))
		}
		prices[p.Provider] = cost.Override{
			Running: optNonNeg(p.Hourly, func() { bad("price."+p.Provider+".hourly", "must not be negative") }),
			Stopped: optNonNeg(p.StoppedHourly, func() { bad("price."+p.Provider+".stopped_hourly", "must not be negative") }),
		}
	}
	for _, r := range fc.Repository {
		switch {
		case r.Providers == nil && r.IdleStop != nil:
			continue // an idle_stop-only block allows any provider (see repoIdle)
		case len(r.Providers) == 0 || slices.Contains(r.Providers, ""):
			bad("repository."+r.Pattern+".providers", "list at least one provider name (or set only idle_stop)")
		}
		pol.RepoProviders = append(pol.RepoProviders, cost.RepoProviders{Pattern: r.Pattern, Providers: r.Providers})
	}
	return prices, pol, errors.Join(errs...)
}

func optNonNeg(v *float64, bad func()) *float64 {
	if v != nil && *v < 0 {
		bad()
		return nil
	}
	return v
}

// repoIdlePos is the position of idle_stop in the cost block's repository block labelled
// pattern, or filename when there is none.
func repoIdlePos(body *hclsyntax.Body, filename, pattern string) string {
	for _, c := range body.Blocks {
		if c.Type != "cost" {
			continue
		}
		for _, b := range c.Body.Blocks {
			if b.Type == "repository" && len(b.Labels) == 1 && b.Labels[0] == pattern {
				return attrPos(b.Body, "idle_stop", filename)
			}
		}
	}
	return filename
}
