package northflank

import (
	"fmt"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// The plan catalogue, the GPU types and their prices are pkg/catalog/northflank.go (with
// their source and date); a month is 730 hours.
const hoursPerMonth = 730

// computePlan is one compute plan: billing.deploymentPlan.
type computePlan = catalog.NorthflankPlan

// computePlans are every real compute plan (catalog.NorthflankPlans).
var computePlans = catalog.NorthflankPlans

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

// describePlan says what a plan is, for actions and warnings.
func describePlan(p computePlan) string {
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
	c := &providers.CostEstimate{Currency: "USD", Basis: catalog.NorthflankSource, Region: d.region, Instances: d.instances}
	n := float64(d.instances)
	var hourly float64
	if d.gpu != nil {
		g := d.gpu.Configuration
		gt, _ := catalog.NorthflankGPUTypeByID(g.GPUType)
		hourly = gt.PerHour * float64(g.GPUCount) * n
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
	c.Notes += "; a paused service costs no compute; prices from " + catalog.NorthflankSource
	hourly, monthly := round2(hourly), round2(hourly*hoursPerMonth)
	c.Hourly, c.Monthly = &hourly, &monthly
	return c
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// knownGPU reports whether gpuType is in the catalogue.
func knownGPU(gpuType string) bool {
	_, ok := catalog.NorthflankGPUTypeByID(gpuType)
	return ok
}
