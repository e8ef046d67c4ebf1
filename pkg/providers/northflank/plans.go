package northflank

import (
	"fmt"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// The plan catalogue and its prices, in USD, from GET /v1/plans as transcribed in
// northflank/skills references/plans.md ("generated from GET /v1/plans", snapshot
// 2026-06-25; shared/spec/provider-apis/runpod-northflank.md B7-B8). List prices before any
// discount; the live figures are GET /v1/plans amountPerHour (public, no token).
const (
	priceSource   = "Northflank GET /v1/plans list prices (snapshot 2026-06-25)"
	hoursPerMonth = 730
)

// computePlan is one compute plan: billing.deploymentPlan.
type computePlan struct {
	ID       string
	MilliCPU int // vCPU x 1000
	MemoryMB int
	PerHour  float64
}

// computePlans are every real compute plan, cheapest first within equal size; there is no
// nf-compute-100 (the upstream derivation's), and nf-compute-200 and -200-4 are the same size.
var computePlans = []computePlan{
	{"nf-compute-10", 100, 256, 0.004},
	{"nf-compute-20", 200, 512, 0.008},
	{"nf-compute-50", 500, 1024, 0.017},
	{"nf-compute-100-1", 1000, 1024, 0.025},
	{"nf-compute-100-2", 1000, 2048, 0.033},
	{"nf-compute-100-4", 1000, 4096, 0.05},
	{"nf-compute-200", 2000, 4096, 0.067},
	{"nf-compute-200-4", 2000, 4096, 0.067},
	{"nf-compute-200-8", 2000, 8192, 0.1},
	{"nf-compute-200-16", 2000, 16384, 0.167},
	{"nf-compute-400", 4000, 8192, 0.133},
	{"nf-compute-400-16", 4000, 16384, 0.2},
	{"nf-compute-800-8", 8000, 8192, 0.2},
	{"nf-compute-800-16", 8000, 16384, 0.267},
	{"nf-compute-800-24", 8000, 24576, 0.333},
	{"nf-compute-800-32", 8000, 32768, 0.4},
	{"nf-compute-800-40", 8000, 40960, 0.467},
	{"nf-compute-1200-24", 12000, 24576, 0.4},
	{"nf-compute-1600-32", 16000, 32768, 0.533},
	{"nf-compute-2000-40", 20000, 40960, 0.667},
}

// gpuPerHour is the price of one GPU of each type per hour, on top of its nf-gpu plan's
// bundled CPU and memory (whose price the snapshot does not give).
var gpuPerHour = map[string]float64{
	"l4-24": 0.80, "a100-40": 1.42, "a100-80": 1.76, "h100-80": 2.74,
	"rtx_pro_6000-96": 3.00, "h200-141": 3.14, "b200-180": 5.87,
}

func planByID(id string) (computePlan, bool) {
	for _, p := range computePlans {
		if p.ID == id {
			return p, true
		}
	}
	return computePlan{}, false
}

// planFor is the cheapest plan with at least cpus vCPUs and memoryMB of memory; ok is false
// when none is that large.
func planFor(cpus int, memoryMB int64) (computePlan, bool) {
	best, found := computePlan{}, false
	for _, p := range computePlans {
		if p.MilliCPU < cpus*1000 || int64(p.MemoryMB) < memoryMB {
			continue
		}
		if !found || p.PerHour < best.PerHour {
			best, found = p, true
		}
	}
	return best, found
}

// gpuPlanID is the plan of count GPUs of type gpuType: nf-gpu-<type>-<n>g (B7). It bundles
// CPU and memory, so it replaces the compute plan.
func gpuPlanID(gpuType string, count int) string {
	return "nf-gpu-" + gpuType + "-" + strconv.Itoa(count) + "g"
}

// describe says what a plan is, for actions and warnings.
func (p computePlan) describe() string {
	return fmt.Sprintf("%s (%s vCPU, %s)", p.ID, strconv.FormatFloat(float64(p.MilliCPU)/1000, 'f', -1, 64), memory(p.MemoryMB))
}

func memory(mb int) string {
	if mb < 1024 {
		return strconv.Itoa(mb) + " MB"
	}
	return strconv.FormatFloat(float64(mb)/1024, 'f', -1, 64) + " GB"
}

// costEstimate prices d while it runs: the plan per instance, or the GPUs per instance. A
// paused service costs no compute; its volume's price is not in the snapshot, so with a
// volume the stopped cost is unknown (nil), never a made-up number.
func costEstimate(d *desired) *providers.CostEstimate {
	c := &providers.CostEstimate{Currency: "USD", Basis: priceSource, Region: d.region, Instances: d.instances}
	n := float64(d.instances)
	var hourly float64
	if d.gpu != nil {
		g := d.gpu.Configuration
		hourly = gpuPerHour[g.GPUType] * float64(g.GPUCount) * n
		c.GPUModel, c.GPUCount = g.GPUType, g.GPUCount*d.instances
		c.Notes = fmt.Sprintf("%d x %s per instance, GPUs only (the plan's bundled CPU and memory are not priced)", g.GPUCount, g.GPUType)
	} else {
		hourly = d.plan.PerHour * n
		c.Notes = d.plan.ID + " per instance"
	}
	if d.autoscale != nil {
		c.Notes += fmt.Sprintf("; at the %d minimum instances (autoscaling up to %d costs up to %.2f/h)", d.instances, d.autoscale.Horizontal.MaxReplicas, hourly/n*float64(d.autoscale.Horizontal.MaxReplicas))
	}
	if d.volume != nil {
		c.Notes += "; the volume is not priced (UNVERIFIED storage price)"
	} else {
		stopped := 0.0
		c.StoppedHourly = &stopped
	}
	c.Notes += "; a paused service costs no compute; prices from " + priceSource
	hourly, monthly := round2(hourly), round2(hourly*hoursPerMonth)
	c.Hourly, c.Monthly = &hourly, &monthly
	return c
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// knownGPU reports whether gpuType is in the catalogue.
func knownGPU(gpuType string) bool {
	_, ok := config.NorthflankGPUTypeByID(gpuType)
	return ok
}
