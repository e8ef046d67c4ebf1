package cost

import (
	"math"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Usage is the time an environment has spent running and stopped, and the rates it was
// priced at. It lives in the env record and in the sticky comment's hidden marker, so that a
// bus that forgot the record (the embedded default) still knows the cost so far.
type Usage struct {
	// RunningSeconds and StoppedSeconds are the time accumulated before Since.
	RunningSeconds int64 `json:"running_s"`
	StoppedSeconds int64 `json:"stopped_s"`
	// Phase is what the environment has been doing since Since.
	Phase Phase `json:"phase,omitempty"`
	// Since is when Phase began (or when the time above was last folded in).
	Since time.Time `json:"since,omitzero"`
	// Hourly and StoppedHourly are the rates, per hour; nil when unknown.
	Hourly        *float64 `json:"hourly,omitempty"`
	StoppedHourly *float64 `json:"stopped_hourly,omitempty"`
	Currency      string   `json:"currency,omitempty"`
}

// Phase is what an environment costs for: running, stopped (its volumes), or nothing.
type Phase string

// Phases.
const (
	PhaseNone    Phase = ""
	PhaseRunning Phase = "running"
	PhaseStopped Phase = "stopped"
)

// PhaseOf maps a provider state onto the phase it is billed as. Creating and error count as
// running (a half-made environment may be billed); suspended and paused as stopped.
func PhaseOf(s providers.State) Phase {
	switch s {
	case providers.StateRunning, providers.StateCreating, providers.StateError:
		return PhaseRunning
	case providers.StateStopped, providers.StateSuspended, providers.StatePaused:
		return PhaseStopped
	default:
		return PhaseNone
	}
}

// Advance folds the time since u.Since into the totals and enters phase at now. A now before
// Since (clock skew between executors) adds nothing.
func (u Usage) Advance(now time.Time, phase Phase) Usage {
	u.RunningSeconds, u.StoppedSeconds = u.totals(now)
	u.Phase = phase
	if now.After(u.Since) {
		u.Since = now.UTC()
	}
	return u
}

// WithRate returns u priced at est's rates (kept as they were where est says nothing).
func (u Usage) WithRate(est *providers.CostEstimate) Usage {
	if est == nil {
		return u
	}
	if est.Hourly != nil {
		u.Hourly = ptr(*est.Hourly)
	}
	if est.StoppedHourly != nil {
		u.StoppedHourly = ptr(*est.StoppedHourly)
	}
	if est.Currency != "" {
		u.Currency = est.Currency
	}
	return u
}

func (u Usage) totals(now time.Time) (running, stopped int64) {
	running, stopped = u.RunningSeconds, u.StoppedSeconds
	if u.Since.IsZero() || !now.After(u.Since) {
		return running, stopped
	}
	d := int64(now.Sub(u.Since) / time.Second)
	switch u.Phase {
	case PhaseRunning:
		running += d
	case PhaseStopped:
		stopped += d
	}
	return running, stopped
}

// Times returns the running and stopped time up to now.
func (u Usage) Times(now time.Time) (running, stopped time.Duration) {
	r, s := u.totals(now)
	return time.Duration(r) * time.Second, time.Duration(s) * time.Second
}

// SoFar is the cost up to now: running time at Hourly plus stopped time at StoppedHourly,
// rounded to the cent. ok is false when a rate needed for time actually spent is unknown.
func (u Usage) SoFar(now time.Time) (amount float64, ok bool) {
	r, s := u.totals(now)
	if r > 0 {
		if u.Hourly == nil {
			return 0, false
		}
		amount += float64(r) / 3600 * *u.Hourly
	}
	if s > 0 {
		if u.StoppedHourly == nil {
			return 0, false
		}
		amount += float64(s) / 3600 * *u.StoppedHourly
	}
	return math.Round(amount*100) / 100, true
}

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

// Report is what a job's succeeded event says about cost, for the job summary and the sticky
// comment: the estimate it ran under, whether the platform suspends it by itself, and the
// environment's usage up to the job's end.
type Report struct {
	Estimate    *providers.CostEstimate `json:"estimate,omitempty"`
	AutoSuspend bool                    `json:"auto_suspend"`
	Usage       *Usage                  `json:"usage,omitempty"`
}
