package cost

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Policy is an executor's spending policy. Zero fields impose nothing.
type Policy struct {
	// MaxHourlyPerEnv bounds one environment's running estimate (0: no limit).
	MaxHourlyPerEnv float64
	// MaxHourlyPerRepo bounds the sum of a repository's running environments (0: no limit);
	// the Ledger enforces it.
	MaxHourlyPerRepo float64
	// GPUs maps each allowed GPU model (the provider's id, as the plan names it) to the most
	// GPUs an environment may have of it. Nil allows any; a non-nil empty map allows none.
	GPUs map[string]int
	// Regions are the allowed regions (nil: any). An estimate that names no region passes.
	Regions []string
	// RepoProviders are per-repository provider allow-lists, first matching pattern wins.
	RepoProviders []RepoProviders
}

// RepoProviders allows the repositories that match Pattern (path.Match, "acme/*") only the
// named providers.
type RepoProviders struct {
	Pattern   string
	Providers []string
}

// Limits checked, as LimitError.Limit names them.
const (
	LimitEnvHourly  = "max_hourly_per_env"
	LimitRepoHourly = "max_hourly_per_repo"
	LimitGPU        = "allowed_gpus"
	LimitGPUCount   = "allowed_gpus count"
	LimitRegion     = "allowed_regions"
	LimitProvider   = "repository providers"
	LimitUnknown    = "max_hourly (estimate unknown)"
)

// LimitError is a job refused by the policy: which limit, the job's value and the allowed one.
type LimitError struct {
	Limit   string
	Value   string
	Allowed string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("spending policy: %s: the environment asks for %s, the executor allows %s", e.Limit, e.Value, e.Allowed)
}

// Request is what a job would create, for Check.
type Request struct {
	Repo, Provider string
	// Estimate is the executor's estimate (Prices.Apply of the plan's); nil when the job has
	// none (a start without config).
	Estimate *providers.CostEstimate
	// GPUCount is what the config asks when the estimate names no GPU model.
	GPUCount int
}

// Check returns a *LimitError for the first limit r breaks, or nil. The repository limit is
// not checked here (see Ledger.Reserve).
func (p Policy) Check(r Request) error {
	if allowed, ok := p.providersFor(r.Repo); ok && !slices.Contains(allowed, r.Provider) {
		return &LimitError{Limit: LimitProvider, Value: "provider " + r.Provider, Allowed: fmt.Sprintf("%v for %s", allowed, r.Repo)}
	}
	est := r.Estimate
	if (p.MaxHourlyPerEnv > 0 || p.MaxHourlyPerRepo > 0) && est != nil && est.Hourly == nil {
		return &LimitError{Limit: LimitUnknown, Value: "an unknown hourly cost (" + r.Provider + " has no price; set one in the executor's cost block)", Allowed: "priced environments only"}
	}
	if p.MaxHourlyPerEnv > 0 && est != nil && *est.Hourly > p.MaxHourlyPerEnv {
		return &LimitError{Limit: LimitEnvHourly, Value: money(*est.Hourly) + "/h", Allowed: money(p.MaxHourlyPerEnv) + "/h"}
	}
	if p.GPUs != nil {
		model, count := "", r.GPUCount
		if est != nil && est.GPUModel != "" {
			model, count = est.GPUModel, est.GPUCount
		}
		if count > 0 {
			max, ok := p.GPUs[model]
			switch {
			case !ok:
				return &LimitError{Limit: LimitGPU, Value: "GPU model " + strconv.Quote(model), Allowed: fmt.Sprintf("%v", slices.Sorted(maps.Keys(p.GPUs)))}
			case count > max:
				return &LimitError{Limit: LimitGPUCount, Value: fmt.Sprintf("%d x %s", count, model), Allowed: fmt.Sprintf("at most %d", max)}
			}
		}
	}
	if p.Regions != nil && est != nil && est.Region != "" && !slices.Contains(p.Regions, est.Region) {
		return &LimitError{Limit: LimitRegion, Value: "region " + est.Region, Allowed: fmt.Sprintf("%v", p.Regions)}
	}
	return nil
}

func (p Policy) providersFor(repo string) ([]string, bool) {
	for _, rp := range p.RepoProviders {
		if ok, _ := path.Match(rp.Pattern, repo); ok {
			return rp.Providers, true
		}
	}
	return nil, false
}

func money(f float64) string { return "$" + strconv.FormatFloat(f, 'f', 2, 64) }
