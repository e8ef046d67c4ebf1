package action

import (
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// costViews are ready environments of each provider that ran two hours and were stopped for
// ten, with the estimates their plans give (the providers' tables; cost.Prices.Apply for the
// ones without) and, for kubernetes, an executor rate.
func costViews() map[string]View {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	est := map[string]*providers.CostEstimate{
		"docker":     cost.Prices(nil).Apply("docker", nil),
		"devpod":     cost.Prices(nil).Apply("devpod", nil),
		"kubernetes": cost.Prices{"kubernetes": {Running: f(0.4), Stopped: f(0.01)}}.Apply("kubernetes", nil),
		"fly": {Hourly: f(0.0183), Monthly: f(13.15), StoppedHourly: f(0.0021), Currency: "USD",
			Basis: "https://fly.io/docs/about/pricing/ as of 2026-12-05", Notes: "2 shared CPU, 2048 MB plus a 10 GB volume"},
		"runpod": {Hourly: f(0.18), Monthly: f(131.1), StoppedHourly: f(0.0055), Currency: "USD",
			Basis: "https://www.runpod.io/pricing (list prices, 2026-08)", GPUModel: "NVIDIA RTX A4000", GPUCount: 1},
		"northflank": {Hourly: f(0.07), Monthly: f(48.91), StoppedHourly: f(0), Currency: "USD",
			Basis: "Northflank GET /v1/plans list prices (snapshot 2026-06-25)", Notes: "nf-compute-200 per instance"},
		"e2b": {Hourly: f(0.11), Monthly: f(79.5), StoppedHourly: f(0), Currency: "USD",
			Basis: "https://e2b.dev/pricing, read 2026-11-28"},
	}
	autoSuspend := map[string]bool{"fly": true, "e2b": true, "northflank": true}
	out := map[string]View{}
	for p, e := range est {
		u := cost.Usage{}.Advance(t0, cost.PhaseRunning).WithRate(e).Advance(t0.Add(2*time.Hour), cost.PhaseStopped)
		v := View{Phase: PhaseStopped, Kind: KindStop, Env: "pr-7", Provider: p, Repo: "acme/web", PR: 7, SHA: "0123456789abcdef",
			State: providers.StateStopped, Cost: &cost.Report{Estimate: e, AutoSuspend: autoSuspend[p], Usage: &u}, CostAt: t0.Add(12 * time.Hour)}
		out["cost-"+p] = v
	}
	idle := out["cost-docker"]
	idle.Phase, idle.Kind, idle.State, idle.Cost, idle.IdleSince = PhaseDeploying, KindDeploy, providers.StateStopped, nil, t0
	out["idle-resume"] = idle
	resumed := idle
	resumed.Phase, resumed.State = PhaseReady, providers.StateRunning
	out["idle-resumed"] = resumed
	return out
}

// TestRenderCostGolden: the summary and the sticky comment of every provider show the estimate,
// auto-suspend and the cost so far of 2 h running and 10 h stopped.
func TestRenderCostGolden(t *testing.T) {
	t.Parallel()
	for name, v := range costViews() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			golden(t, name+".summary.md", RenderSummary(v, NoRedaction))
			golden(t, name+".comment.md", RenderComment(v, NoRedaction))
		})
	}
}
