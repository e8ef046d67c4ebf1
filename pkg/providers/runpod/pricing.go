package runpod

import (
	"math"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// The prices of Plan's estimate are catalog.RunPodGPUs and the RunPod constants of
// pkg/catalog/runpod.go (with their source and date); a month is 730 hours.
const hoursPerMonth = 730

// costEstimate prices d's pod: hourly while running (compute, container disk and volume), a
// month of running, and hourly while stopped (the volume at the stopped rate). A GPU missing
// from the table gives no estimate (nil): never a made-up number.
func costEstimate(d *desired) *providers.CostEstimate {
	ps := d.spec
	storageHourly := float64(ps.DiskGB)*catalog.RunPodContainerDiskPerGBMonth/hoursPerMonth + float64(ps.VolumeGB)*catalog.RunPodVolumePerGBMonth/hoursPerMonth
	c := &providers.CostEstimate{Currency: "USD", Basis: catalog.RunPodSource}
	if len(ps.DataCenters) > 0 {
		c.Region = ps.DataCenters[0]
	}
	var hourly float64
	switch {
	case ps.GPU != nil:
		p, known := catalog.RunPodGPUPrice(ps.GPU.ID)
		rate := p.Secure
		if ps.Cloud == "COMMUNITY" {
			rate = p.Community
		}
		if !known || rate == 0 {
			return nil
		}
		hourly = rate*float64(ps.GPU.Count) + storageHourly
		c.GPUModel, c.GPUCount = ps.GPU.ID, ps.GPU.Count
		c.Notes = "per-GPU list price of " + ps.GPU.ID + " in " + ps.Cloud + " cloud"
	default:
		hourly = catalog.RunPodCPUPerVCPUHour*float64(ps.CPU.VCPUs) + storageHourly
		c.Notes = "CPU pod list price"
	}
	c.Notes += "; a stopped pod still pays for its volume; prices from " + catalog.RunPodSource
	hourly, monthly := round2(hourly), round2(hourly*hoursPerMonth)
	stopped := round4(float64(ps.VolumeGB) * catalog.RunPodVolumeIdlePerGBMonth / hoursPerMonth)
	c.Hourly, c.Monthly, c.StoppedHourly = &hourly, &monthly, &stopped
	return c
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
