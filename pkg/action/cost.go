package action

import (
	"fmt"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// EstimateLine is an estimate in one line: the hourly cost running and stopped, the month, and
// its basis. A local engine's is "free"; an estimate with no hourly figure is "unknown", never
// a number. Empty when c is nil.
func EstimateLine(c *providers.CostEstimate) string {
	if c == nil {
		return ""
	}
	cur := c.Currency
	if cur == "" {
		cur = "USD"
	}
	var line string
	switch {
	case c.Hourly == nil:
		line = "unknown"
	case *c.Hourly == 0 && (c.StoppedHourly == nil || *c.StoppedHourly == 0):
		line = "free"
	default:
		parts := []string{fmt.Sprintf("%s %s/hour running", money(*c.Hourly), cur)}
		if c.StoppedHourly != nil {
			parts = append(parts, fmt.Sprintf("%s %s/hour stopped", money(*c.StoppedHourly), cur))
		} else {
			parts = append(parts, "unknown when stopped")
		}
		if c.Monthly != nil {
			parts = append(parts, fmt.Sprintf("%.2f %s/month running", *c.Monthly, cur))
		}
		line = strings.Join(parts, ", ")
	}
	var why []string
	for _, s := range []string{c.Basis, c.Notes} {
		if s != "" {
			why = append(why, s)
		}
	}
	if len(why) > 0 {
		line += " (" + strings.Join(why, "; ") + ")"
	}
	return line
}

// money prints an hourly amount with the precision small rates need (0.0029, not 0.00).
func money(f float64) string {
	if f != 0 && f < 0.1 {
		return fmt.Sprintf("%.4f", f)
	}
	return fmt.Sprintf("%.2f", f)
}

func writeEstimate(b *strings.Builder, c *providers.CostEstimate) {
	if line := EstimateLine(c); line != "" {
		fmt.Fprintf(b, "\nEstimated cost: %s\n", cell(line))
	}
}

// SoFarLine is the cost so far of r at now: the amount with the running and stopped time it
// comes from, or "unknown" with that time when a rate is unknown. Empty without usage.
func SoFarLine(r *cost.Report, now time.Time) string {
	if r == nil || r.Usage == nil {
		return ""
	}
	run, stop := r.Usage.Times(now)
	times := fmt.Sprintf("%s running, %s stopped", hours(run), hours(stop))
	amount, ok := r.Usage.SoFar(now)
	if !ok {
		return "unknown (" + times + ")"
	}
	cur := r.Usage.Currency
	if cur == "" {
		cur = "USD"
	}
	return fmt.Sprintf("%.2f %s (%s)", amount, cur, times)
}

// hours prints a duration as whole hours and minutes ("2h0m", "0h5m").
func hours(d time.Duration) string {
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func autoSuspend(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// writeCostRows adds the summary's cost rows: the estimate, auto-suspend and the cost so far.
func writeCostRows(row func(k, v string), v View) {
	if v.Cost == nil {
		return
	}
	row("Estimated cost", cell(EstimateLine(v.Cost.Estimate)))
	row("Auto-suspend", autoSuspend(v.Cost.AutoSuspend))
	row("Cost so far", cell(SoFarLine(v.Cost, v.CostAt)))
}

// writeCostLine adds the comment's cost paragraph, recomputed at v.CostAt each time the
// comment is written.
func writeCostLine(b *strings.Builder, v View) {
	if v.Cost == nil {
		return
	}
	b.WriteString("\n\n")
	if c := v.Cost.Estimate; c != nil {
		fmt.Fprintf(b, "**Estimated cost:** %s  \n", cell(EstimateLine(c)))
	}
	fmt.Fprintf(b, "**Auto-suspend:** %s", autoSuspend(v.Cost.AutoSuspend))
	if s := SoFarLine(v.Cost, v.CostAt); s != "" {
		fmt.Fprintf(b, "  \n**Cost so far:** %s", cell(s))
	}
}

// writeIdleNote says, while it holds, that the executor stopped the environment for idleness.
func writeIdleNote(b *strings.Builder, v View) {
	if v.IdleSince.IsZero() {
		return
	}
	since := v.IdleSince.UTC().Format("2006-01-02 15:04 UTC")
	if v.Phase == PhaseReady || v.Phase == PhaseStarted {
		fmt.Fprintf(b, "_Resumed after an idle stop (no push, command or traffic since %s)._\n\n", since)
		return
	}
	fmt.Fprintf(b, "_Stopped while idle: no push, command or traffic since %s. It was stopped, not destroyed; a push or `/sindri start` resumes it with its data._\n\n", since)
}
