package fly

import (
	"fmt"
	"math"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// priceTable is what Plan's estimate is computed from, in USD. Fly bills running machines per
// second and volumes per provisioned GB per 30 days; prices vary somewhat by region, so the
// estimate is a guide, not a quote.
//
// Source: https://fly.io/docs/about/pricing/ (Machines, Volumes) and the per-size table of
// https://fly.io/blog/new-vms-more-ram-extra-cpu-and-a-dollar-menu/ (shared-cpu-1x 256 MB
// $0.0000008/s, $1.94/mo; dedicated (performance) 1x 2 GB $0.0000120/s, $31.00/mo; each
// further GB of RAM $5/mo on both kinds, which the table's sizes imply), volumes $0.15 per
// GB-month. Read on 2026-12-05 from stored copies of those pages; UNVERIFIED against the live
// per-region price list.
type priceTable struct {
	// CPUPerSecond is the price of one CPU of the kind with its included memory, per second.
	CPUPerSecond map[string]float64
	// IncludedMB is the memory each CPU of the kind includes.
	IncludedMB map[string]int
	// RAMPerGBSecond is the price of each further GB of memory, per second.
	RAMPerGBSecond float64
	// VolumePerGBMonth is the price of a provisioned volume GB per 30 days.
	VolumePerGBMonth float64
	Source, Date     string
}

var prices = priceTable{
	CPUPerSecond:     map[string]float64{"shared": 0.0000008, "performance": 0.0000120},
	IncludedMB:       map[string]int{"shared": 256, "performance": 2048},
	RAMPerGBSecond:   5.0 / secondsPerMonth,
	VolumePerGBMonth: 0.15,
	Source:           "https://fly.io/docs/about/pricing/",
	Date:             "2026-12-05",
}

// secondsPerMonth is Fly's billing month of 30 days.
const secondsPerMonth = 30 * 24 * 3600

// estimate returns the cost of d running all the time: machine per second plus the volume.
func estimate(d *desired) *providers.CostEstimate {
	g := d.Guest
	perSecond := float64(g.CPUs) * prices.CPUPerSecond[g.CPUKind]
	if extra := g.MemoryMB - g.CPUs*prices.IncludedMB[g.CPUKind]; extra > 0 {
		perSecond += float64(extra) / 1024 * prices.RAMPerGBSecond
	}
	volumeMonth := float64(d.VolumeSizeGB) * prices.VolumePerGBMonth
	monthly := round2(perSecond*secondsPerMonth + volumeMonth)
	hourly := round4(perSecond*3600 + volumeMonth/(30*24))
	// Stopped or suspended, the machine pays for its volume only.
	stopped := round4(volumeMonth / (30 * 24))
	return &providers.CostEstimate{
		Hourly:        &hourly,
		Monthly:       &monthly,
		StoppedHourly: &stopped,
		Basis:         prices.Source + " as of " + prices.Date,
		Region:        d.Region,
		Currency:      "USD",
		Notes: fmt.Sprintf("%d %s CPU, %d MB running all month ($%.2f) plus a %d GB volume ($%.2f); a stopped or suspended machine costs its volume (and root filesystem) only. Prices from %s as of %s; regional prices vary.",
			g.CPUs, g.CPUKind, g.MemoryMB, perSecond*secondsPerMonth, d.VolumeSizeGB, volumeMonth, prices.Source, prices.Date),
	}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
