package cost

import (
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Override is an executor's price for every environment of one provider, per hour, in the
// estimate's currency (USD). A nil field keeps the provider's own figure.
type Override struct {
	Running *float64
	Stopped *float64
}

// Prices are an executor's overrides, by provider name.
type Prices map[string]Override

// Basis values of estimates this package writes.
const (
	BasisLocal    = "local engine"
	BasisExecutor = "executor rate (executor.hcl cost block)"
	BasisUnknown  = "unknown: no price table; set a rate in the executor's cost block"
)

// localProviders run on the executor's own machine and cost nothing.
var localProviders = map[string]bool{"docker": true}

// Apply returns est as the executor reports it for provider: an override wins over the
// provider's table; a local engine (docker) is free; a provider with no table (kubernetes,
// devpod) and no override gets an estimate whose Hourly is nil, which renders as "unknown",
// never as a made-up number. est itself is not modified.
func (p Prices) Apply(provider string, est *providers.CostEstimate) *providers.CostEstimate {
	out := &providers.CostEstimate{Currency: "USD"}
	if est != nil {
		c := *est
		out = &c
	}
	o, overridden := p[provider]
	switch {
	case overridden:
		if o.Running != nil {
			out.Hourly = ptr(*o.Running)
			out.Monthly = ptr(round4(*o.Running * HoursPerMonth))
		}
		if o.Stopped != nil {
			out.StoppedHourly = ptr(*o.Stopped)
		}
		out.Basis = BasisExecutor
	case localProviders[provider] && est == nil:
		out.Hourly, out.Monthly, out.StoppedHourly = ptr(0), ptr(0), ptr(0)
		out.Basis = BasisLocal
	case est == nil || est.Hourly == nil:
		out.Basis = BasisUnknown
	}
	if out.Currency == "" {
		out.Currency = "USD"
	}
	return out
}

// HoursPerMonth is the month the monthly figures use (365 × 24 / 12).
const HoursPerMonth = 730

func ptr(f float64) *float64 { return &f }
