package runner

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// TestRunReapReportsToGitHub: a reaped environment with a repository and a PR (from its record,
// or from its labels when nothing is remembered) gets its Deployment marked inactive and its
// sticky comment saying destroyed.
func TestRunReapReportsToGitHub(t *testing.T) {
	t.Parallel()
	const env = "preview-pr-7"
	past := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	for _, fresh := range []bool{false, true} {
		t.Run("fresh="+strconv.FormatBool(fresh), func(t *testing.T) {
			t.Parallel()
			var managed []providers.Managed
			if fresh {
				managed = append(managed, providers.Managed{Env: env, State: providers.StateRunning, Labels: map[string]string{
					providers.LabelExpiresAt: past, providers.LabelRepo: "acme/app", providers.LabelPR: "7"}})
			}
			h := newHarness(t, managed...)
			h.fresh = fresh
			fake := githubtest.New(t, "acme", "app", "ghs_runner")
			if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
				t.Fatalf("deploy exit %d\n%s", code, h.out.String())
			}
			if !fresh {
				_, _, err := h.bus.Envs.Update(context.Background(), env, func(rec *events.EnvRecord, _ bool) error {
					rec.ExpiresAt = time.Now().Add(-time.Hour)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			it := action.Intent{Kind: action.KindReap, Trigger: "schedule", Repo: "acme/app", Owner: "acme", Name: "app"}
			if code := h.runGitHub(it, fake, "ghs_runner"); code != ExitOK {
				t.Fatalf("reap exit %d\n%s", code, h.out.String())
			}
			if _, ok, _ := h.fake.Env(env); ok {
				t.Fatalf("not reaped\n%s", h.out.String())
			}
			if got := lastState(t, fake); got != "inactive" {
				t.Errorf("deployment left %s after the reap, want inactive", got)
			}
			if c, m := sticky(t, fake, 7, env); !strings.Contains(c.Body, "Destroyed") || m.Provider != "" {
				t.Errorf("sticky comment after the reap %q (marker %+v), want destroyed, no provider", c.Body, m)
			}
		})
	}
}
