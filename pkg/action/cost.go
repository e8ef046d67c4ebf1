package action

import (
	"fmt"
	"strings"

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
