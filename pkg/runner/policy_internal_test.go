package runner

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Every job kind has a policy, and the policies keep the rules the job flow relies on.
func TestKindPoliciesCoverEveryKind(t *testing.T) {
	t.Parallel()
	for _, k := range jobs.Kinds {
		p, ok := kindPolicies[k]
		if !ok {
			t.Errorf("kind %s has no policy", k)
			continue
		}
		if p.phase == "" {
			t.Errorf("kind %s has no phase", k)
		}
		if p.reportFirst && p.reportAfter {
			t.Errorf("kind %s reports in progress twice", k)
		}
		if (p.reportFirst || p.reportAfter || p.touchesDeployment || p.skipUnreported) && !p.reports {
			t.Errorf("kind %s writes to GitHub but does not report", k)
		}
		if k.Image() && (p.reports || p.opens) {
			t.Errorf("image kind %s touches an environment's GitHub objects", k)
		}
		if p.readOnly && k.Mutates() {
			t.Errorf("kind %s mutates but dry-run would leave it as it is", k)
		}
	}
	if len(kindPolicies) != len(jobs.Kinds) {
		t.Errorf("%d policies for %d kinds", len(kindPolicies), len(jobs.Kinds))
	}
}
