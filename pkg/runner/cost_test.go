package runner

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestRunCostSoFarSurvivesFreshBus: on a fresh embedded bus (no env record), the usage kept in
// the sticky comment's marker (an hour of running, an hour ago, at 0.50/h) is where the next
// job continues counting, and the final comment shows the cost so far and carries the usage on,
// with no GitHub request beyond the deploy's usual ones.
func TestRunCostSoFarSurvivesFreshBus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fresh = true
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	const env = "preview-pr-7"
	since := time.Now().Add(-time.Hour).Unix()
	fake.AddComment(7, "", fmt.Sprintf("<!-- sindri:env=%s deployment=0 closed=0 provider=%s cost=3600,0,r,%d,0.5,0.1 -->\nearlier run", env, providertest.FakeName, since))
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.synchronize"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	c, m := sticky(t, fake, 7, env)
	if m.Usage == nil {
		t.Fatalf("marker %q keeps no usage", strings.SplitN(c.Body, "\n", 2)[0])
	}
	if m.Usage.RunningSeconds < 7200 || m.Usage.Hourly == nil || *m.Usage.Hourly != 0.5 {
		t.Fatalf("marker usage = %+v, want at least 7200 s running (3600 kept + the hour since) at 0.5/h", *m.Usage)
	}
	if !strings.Contains(c.Body, "**Cost so far:** 1.00 USD (2h0m running, 0h0m stopped)") {
		t.Errorf("comment lacks the cost so far of two hours at 0.50/h:\n%s", c.Body)
	}
}

func TestIdleSince(t *testing.T) {
	t.Parallel()
	last := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	stopped := events.EnvRecord{State: providers.StateStopped, IdleStopFor: last, IdleStopGeneration: 4, AppliedGeneration: 4, DesiredGeneration: 4}
	pending, resumed, plain := stopped, stopped, stopped
	pending.AppliedGeneration, resumed.State, plain.IdleStopFor = 3, providers.StateRunning, time.Time{}
	for name, tc := range map[string]struct {
		rec  *events.EnvRecord
		want time.Time
	}{
		"idle-stopped":          {&stopped, last},
		"stop queued, not run":  {&pending, time.Time{}},
		"resumed since":         {&resumed, time.Time{}},
		"stopped by a person":   {&plain, time.Time{}},
		"no record (fresh bus)": {nil, time.Time{}},
	} {
		if got := idleSince(tc.rec); !got.Equal(tc.want) {
			t.Errorf("%s: idleSince = %v, want %v", name, got, tc.want)
		}
	}
}
