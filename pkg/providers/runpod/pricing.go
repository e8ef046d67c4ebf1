package runpod

import (
	"math"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Prices for Plan's estimate, in USD, from RunPod's pricing page (https://www.runpod.io/pricing)
// as transcribed on 2026-08; list prices before any account discount. Only the RTX 4090 row is
// confirmed by a second source (the example of GET /v2/catalog/gpus: 0.44 secure, 0.31
// community); the other rows are UNVERIFIED against the live page, which could not be read from
// here. The live figures are GET /v2/catalog/gpus `price`; the estimate's notes name this table.
const (
	priceSource = "https://www.runpod.io/pricing (list prices, 2026-08)"
	// cpuPerVCPUHour is a CPU pod's price per vCPU-hour (cpu3c).
	cpuPerVCPUHour = 0.03
	// volumePerGBMonth is a pod volume's price per GB-month while the pod runs; a stopped
	// pod's volume costs volumeIdlePerGBMonth.
	volumePerGBMonth     = 0.10
	volumeIdlePerGBMonth = 0.20
	// containerDiskPerGBMonth is the container disk's price per GB-month (running pods only).
	containerDiskPerGBMonth = 0.10
	hoursPerMonth           = 730
)

// gpuPrice is one GPU model's price per GPU-hour in each cloud.
type gpuPrice struct{ secure, community float64 }

// gpuPrices are per GPU-hour, by exact GPU type id.
var gpuPrices = map[string]gpuPrice{
	"NVIDIA RTX A4000":               {0.25, 0.17},
	"NVIDIA RTX A4500":               {0.25, 0.19},
	"NVIDIA RTX A5000":               {0.27, 0.16},
	"NVIDIA RTX A6000":               {0.49, 0.33},
	"NVIDIA A40":                     {0.40, 0.35},
	"NVIDIA A100 80GB PCIe":          {1.64, 1.19},
	"NVIDIA A100-SXM4-80GB":          {1.74, 1.39},
	"NVIDIA H100 80GB HBM3":          {2.99, 2.69},
	"NVIDIA H100 PCIe":               {2.39, 1.99},
	"NVIDIA H100 NVL":                {2.79, 2.59},
	"NVIDIA H200":                    {3.99, 3.59},
	"NVIDIA B200":                    {5.99, 5.99},
	"NVIDIA L4":                      {0.43, 0.30},
	"NVIDIA L40":                     {0.99, 0.69},
	"NVIDIA L40S":                    {0.86, 0.79},
	"NVIDIA GeForce RTX 3090":        {0.43, 0.22},
	"NVIDIA GeForce RTX 4090":        {0.44, 0.31},
	"NVIDIA GeForce RTX 5090":        {0.89, 0.69},
	"NVIDIA RTX 6000 Ada Generation": {0.77, 0.74},
	"NVIDIA RTX 4000 Ada Generation": {0.26, 0.20},
	"NVIDIA RTX 2000 Ada Generation": {0.24, 0.23},
	"Tesla V100-PCIE-16GB":           {0.00, 0.14},
	"AMD Instinct MI300X OAM":        {2.49, 2.49},
}

// costEstimate prices d's pod: hourly while running (compute, container disk and volume), a
// month of running, and hourly while stopped (the volume at the stopped rate). A GPU missing
// from the table gives no estimate (nil): never a made-up number.
func costEstimate(d *desired) *providers.CostEstimate {
	ps := d.spec
	storageHourly := float64(ps.DiskGB)*containerDiskPerGBMonth/hoursPerMonth + float64(ps.VolumeGB)*volumePerGBMonth/hoursPerMonth
	c := &providers.CostEstimate{Currency: "USD", Basis: priceSource}
	if len(ps.DataCenters) > 0 {
		c.Region = ps.DataCenters[0]
	}
	var hourly float64
	switch {
	case ps.GPU != nil:
		p, known := gpuPrices[ps.GPU.ID]
		if !known {
			return nil
		}
		rate := p.secure
		if ps.Cloud == "COMMUNITY" {
			rate = p.community
		}
		hourly = rate*float64(ps.GPU.Count) + storageHourly
		c.GPUModel, c.GPUCount = ps.GPU.ID, ps.GPU.Count
		c.Notes = "per-GPU list price of " + ps.GPU.ID + " in " + ps.Cloud + " cloud"
	default:
		hourly = cpuPerVCPUHour*float64(ps.CPU.VCPUs) + storageHourly
		c.Notes = "CPU pod list price"
	}
	c.Notes += "; a stopped pod still pays for its volume; prices from " + priceSource
	hourly, monthly := round2(hourly), round2(hourly*hoursPerMonth)
	stopped := round4(float64(ps.VolumeGB) * volumeIdlePerGBMonth / hoursPerMonth)
	c.Hourly, c.Monthly, c.StoppedHourly = &hourly, &monthly, &stopped
	return c
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
