package main

import (
	"errors"
	"fmt"
	"slices"

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

// fileRepository is `repository "<pattern>" { providers = [..] }`.
type fileRepository struct {
	Pattern   string   `hcl:"pattern,label"`
	Providers []string `hcl:"providers"`
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
		if len(r.Providers) == 0 || slices.Contains(r.Providers, "") {
			bad("repository."+r.Pattern+".providers", "list at least one provider name")
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
