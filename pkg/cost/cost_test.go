package cost_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/events/eventstest"
	"github.com/sindri/deploy/v3/pkg/providers"
)

func f(v float64) *float64 { return &v }

func TestPricesApply(t *testing.T) {
	t.Parallel()
	table := &providers.CostEstimate{Hourly: f(0.5), Monthly: f(365), StoppedHourly: f(0.01), Currency: "USD", Basis: "table 2026-12"}
	prices := cost.Prices{"kubernetes": {Running: f(0.2), Stopped: f(0.005)}, "fly": {Running: f(0.9)}}
	tests := []struct {
		name, provider  string
		in              *providers.CostEstimate
		hourly, stopped *float64
		basis           string
	}{
		{"docker is free", "docker", nil, f(0), f(0), cost.BasisLocal},
		{"devpod without a rate is unknown", "devpod", nil, nil, nil, cost.BasisUnknown},
		{"kubernetes takes the executor rate", "kubernetes", nil, f(0.2), f(0.005), cost.BasisExecutor},
		{"a table stays", "runpod", table, f(0.5), f(0.01), "table 2026-12"},
		{"an override wins over a table, field by field", "fly", table, f(0.9), f(0.01), cost.BasisExecutor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := prices.Apply(tt.provider, tt.in)
			if !eq(got.Hourly, tt.hourly) || !eq(got.StoppedHourly, tt.stopped) || got.Basis != tt.basis {
				t.Fatalf("Apply = hourly %v stopped %v basis %q; want %v %v %q", val(got.Hourly), val(got.StoppedHourly), got.Basis, val(tt.hourly), val(tt.stopped), tt.basis)
			}
		})
	}
	if *table.Hourly != 0.5 {
		t.Fatal("Apply modified its input")
	}
}

func eq(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func val(a *float64) any {
	if a == nil {
		return "nil"
	}
	return *a
}

func TestUsage(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	u := cost.Usage{}.Advance(t0, cost.PhaseRunning).WithRate(&providers.CostEstimate{Hourly: f(1.25), StoppedHourly: f(0.1)})
	u = u.Advance(t0.Add(3*time.Hour), cost.PhaseStopped)
	u = u.Advance(t0.Add(5*time.Hour), cost.PhaseRunning)
	// A clock behind Since (another executor's skew) adds nothing.
	u = u.Advance(t0.Add(4*time.Hour), cost.PhaseRunning)
	r, s := u.Times(t0.Add(6 * time.Hour))
	if r != 4*time.Hour || s != 2*time.Hour {
		t.Fatalf("times = %s, %s; want 4h running, 2h stopped", r, s)
	}
	if got, ok := u.SoFar(t0.Add(6 * time.Hour)); !ok || got != 5.2 {
		t.Fatalf("SoFar = %v %t, want 5.2 (4 h × 1.25 + 2 h × 0.10)", got, ok)
	}
	unknown := cost.Usage{}.Advance(t0, cost.PhaseRunning)
	if _, ok := unknown.SoFar(t0.Add(time.Hour)); ok {
		t.Fatal("SoFar without a rate is known")
	}
	if got, ok := unknown.SoFar(t0); !ok || got != 0 {
		t.Fatalf("SoFar of no time = %v %t, want 0 known", got, ok)
	}
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	p := cost.Policy{
		MaxHourlyPerEnv: 2,
		GPUs:            map[string]int{"NVIDIA L4": 2},
		Regions:         []string{"iad", "sjc"},
		RepoProviders:   []cost.RepoProviders{{Pattern: "acme/*", Providers: []string{"fly", "runpod"}}},
	}
	tests := []struct {
		name  string
		req   cost.Request
		limit string
	}{
		{"within every limit", cost.Request{Repo: "acme/web", Provider: "runpod", Estimate: &providers.CostEstimate{Hourly: f(0.9), GPUModel: "NVIDIA L4", GPUCount: 2, Region: "iad"}}, ""},
		{"over the hourly limit", cost.Request{Repo: "acme/web", Provider: "fly", Estimate: &providers.CostEstimate{Hourly: f(2.5)}}, cost.LimitEnvHourly},
		{"unknown price under an hourly limit", cost.Request{Repo: "x/y", Provider: "kubernetes", Estimate: &providers.CostEstimate{}}, cost.LimitUnknown},
		{"a GPU model not allowed", cost.Request{Repo: "x/y", Provider: "runpod", Estimate: &providers.CostEstimate{Hourly: f(1), GPUModel: "NVIDIA H200", GPUCount: 8}}, cost.LimitGPU},
		{"too many GPUs", cost.Request{Repo: "x/y", Provider: "runpod", Estimate: &providers.CostEstimate{Hourly: f(1), GPUModel: "NVIDIA L4", GPUCount: 3}}, cost.LimitGPUCount},
		{"a GPU the estimate cannot name", cost.Request{Repo: "x/y", Provider: "kubernetes", GPUCount: 1, Estimate: &providers.CostEstimate{Hourly: f(1)}}, cost.LimitGPU},
		{"a region not allowed", cost.Request{Repo: "x/y", Provider: "fly", Estimate: &providers.CostEstimate{Hourly: f(1), Region: "fra"}}, cost.LimitRegion},
		{"a provider the repository may not use", cost.Request{Repo: "acme/web", Provider: "northflank", Estimate: &providers.CostEstimate{Hourly: f(0.1)}}, cost.LimitProvider},
		{"other repositories use any provider", cost.Request{Repo: "other/web", Provider: "northflank", Estimate: &providers.CostEstimate{Hourly: f(0.1)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := p.Check(tt.req)
			var le *cost.LimitError
			switch {
			case tt.limit == "" && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			case tt.limit != "" && (!errors.As(err, &le) || le.Limit != tt.limit):
				t.Fatalf("Check = %v, want limit %s", err, tt.limit)
			}
		})
	}
}

func startJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, _, js := eventstest.Start(t, events.EmbeddedOptions{StoreDir: t.TempDir()}, false)
	return js
}

// TestLedgerConcurrentReserve: many writers, each with its own Ledger, race to reserve 1/h
// against a 5/h repository limit: exactly five win, whatever the interleaving.
func TestLedgerConcurrentReserve(t *testing.T) {
	t.Parallel()
	js := startJS(t)
	ctx := context.Background()
	const writers = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, refused := 0, 0
	for i := range writers {
		led, err := cost.OpenLedger(ctx, js, 1)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := led.Reserve(ctx, "acme/web", "pr-"+string(rune('a'+i)), "fly", 1, 5)
			mu.Lock()
			defer mu.Unlock()
			var le *cost.LimitError
			switch {
			case err == nil:
				won++
			case errors.As(err, &le) && le.Limit == cost.LimitRepoHourly:
				refused++
			default:
				t.Errorf("Reserve: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 5 || refused != writers-5 {
		t.Fatalf("won %d refused %d, want 5 and %d", won, refused, writers-5)
	}
	led, _ := cost.OpenLedger(ctx, js, 1)
	got, err := led.Repo(ctx, "acme/web")
	if err != nil || len(got) != 5 {
		t.Fatalf("Repo = %v %v, want 5 entries", got, err)
	}
	totals, err := led.Totals(ctx)
	if err != nil || totals[[2]string{"acme/web", "fly"}] != 5 {
		t.Fatalf("Totals = %v %v, want acme/web fly 5", totals, err)
	}
}

func TestLedgerUndoAndRelease(t *testing.T) {
	t.Parallel()
	js := startJS(t)
	ctx := context.Background()
	led, err := cost.OpenLedger(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.Reserve(ctx, "acme/web", "pr-1", "fly", 1, 0); err != nil {
		t.Fatal(err)
	}
	undo, err := led.Reserve(ctx, "acme/web", "pr-1", "fly", 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := led.Repo(ctx, "acme/web"); got["pr-1"].Hourly != 1 {
		t.Fatalf("after undo = %+v, want pr-1 back at 1", got)
	}
	if err := led.Release(ctx, "acme/web", "pr-1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := led.Repo(ctx, "acme/web"); len(got) != 0 {
		t.Fatalf("after release = %+v, want empty", got)
	}
}

func TestMarkerValue(t *testing.T) {
	t.Parallel()
	u := cost.Usage{RunningSeconds: 7200, StoppedSeconds: 36000, Phase: cost.PhaseStopped,
		Since: time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC), Hourly: f(0.0183), Currency: "USD"}
	v := u.MarkerValue()
	if v != "7200,36000,s,1796158800,0.0183,-" {
		t.Fatalf("MarkerValue = %q", v)
	}
	got, ok := cost.ParseMarkerValue(v)
	if !ok || got.MarkerValue() != v || !got.Since.Equal(u.Since) || got.StoppedHourly != nil {
		t.Fatalf("ParseMarkerValue(%q) = %+v %t, want the same usage back", v, got, ok)
	}
	for _, bad := range []string{"", "1,2,r,3,4", "1,2,x,3,4,5", "-1,2,r,3,4,5", "1,2,r,3,abc,5", "1,2,r,3,-4,5"} {
		if _, ok := cost.ParseMarkerValue(bad); ok {
			t.Errorf("ParseMarkerValue(%q) accepted", bad)
		}
	}
}
