package action

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// A provider's warnings reach the job summary, the sticky comment and the plan: they say what
// it did differently from what the config asks.
func TestWarningsAreRendered(t *testing.T) {
	t.Parallel()
	same := func(s string) string { return s }
	v := View{Kind: KindDeploy, Env: "web-pr-7", Provider: "e2b", Phase: PhaseReady, State: providers.StateRunning,
		Warnings: []string{"sandbox pauses at 14:05 UTC unless redeployed", "a | pipe"}}
	for name, text := range map[string]string{"summary": RenderSummary(v, same), "comment": RenderComment(v, same)} {
		if !strings.Contains(text, "sandbox pauses at 14:05 UTC unless redeployed") {
			t.Errorf("%s lacks the warning:\n%s", name, text)
		}
		if strings.Contains(text, "a | pipe") {
			t.Errorf("%s does not escape a warning's table character:\n%s", name, text)
		}
	}
	p := View{Kind: KindPlan, Env: "web-pr-7", Phase: PhasePlanned,
		Plan: &providers.Plan{Provider: "fly", Warnings: []string{"suspend needs 2 GB or less: the machine stops when idle"}}}
	if s := RenderSummary(p, same); !strings.Contains(s, "suspend needs 2 GB or less") {
		t.Errorf("plan summary lacks the plan's warning:\n%s", s)
	}
}
