package e2b

import (
	"fmt"
	"math"
)

// Prices for Plan's estimate, in USD. E2B bills a running sandbox per second for the CPU and
// memory its template allocates (not what it uses); a paused sandbox pays no compute.
//
// Source: https://e2b.dev/pricing and https://e2b.dev/docs/billing, read on 2026-11-28 from
// stored copies: $0.000014 per vCPU-second; memory $0.0000045 per GiB-second, which the docs'
// example implies (8 vCPU and 4 GB cost $0.468 an hour: 8 × 0.000014 × 3600 = 0.4032, the
// rest 0.0648 for 4 GiB). UNVERIFIED against the live calculator; plan fees (Pro $150 a month)
// and snapshot storage of paused sandboxes are not in the estimate.
const (
	pricePerVCPUSecond = 0.000014
	pricePerGiBSecond  = 0.0000045
	priceSource        = "https://e2b.dev/pricing, read 2026-11-28"
	hoursPerMonth      = 730
	secondsPerHour     = 3600
	baseTemplateCPU    = 2 // E2B's base template, as the fake and the SDK defaults have it
	baseTemplateMemMiB = 512
)

// estimate prices d's sandbox while running: hourly, and a month of running. Without an
// image the template's size is E2B's base template's.
func estimate(d *desired) (hourly, monthly float64, notes string) {
	cpu, mem := d.tpl.cpu, d.tpl.memoryMB
	what := fmt.Sprintf("%d vCPU and %d MiB (the template built from the image)", cpu, mem)
	if !d.tpl.build {
		cpu, mem = baseTemplateCPU, baseTemplateMemMiB
		what = fmt.Sprintf("%d vCPU and %d MiB (assumed: the size of template %q is not known before it runs)", cpu, mem, d.tpl.alias)
	}
	perSecond := float64(cpu)*pricePerVCPUSecond + float64(mem)/1024*pricePerGiBSecond
	hourly = perSecond * secondsPerHour
	notes = fmt.Sprintf("running sandbox of %s at $%.6f per vCPU-second and $%.7f per GiB-second; a paused sandbox pays no compute; with autoPause it runs at most providers.e2b.timeout (%d s) after each deploy or resume; prices from %s",
		what, pricePerVCPUSecond, pricePerGiBSecond, d.timeout, priceSource)
	return round4(hourly), round2(hourly * hoursPerMonth), notes
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
