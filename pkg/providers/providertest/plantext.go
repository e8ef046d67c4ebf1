package providertest

import (
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// PlanText renders a Plan for a golden file: its calls, warnings, actions, cost and the named
// artifact, one stable section each. It never fails.
func PlanText(pl *providers.Plan, artifact string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# calls\n%s\n# warnings\n%s\n# actions\n", strings.Join(pl.Calls, "\n"), strings.Join(pl.Warnings, "\n"))
	for _, a := range pl.Actions {
		fmt.Fprintf(&b, "%s %s: %s\n", a.Action, a.Resource, a.Description)
	}
	if c := pl.EstimatedCost; c != nil && c.Hourly != nil && c.Monthly != nil {
		fmt.Fprintf(&b, "# cost\n%.2f/h %.2f/month %s\n", *c.Hourly, *c.Monthly, c.Notes)
	}
	fmt.Fprintf(&b, "# %s\n%s", artifact, pl.Artifacts[artifact])
	return b.String()
}
