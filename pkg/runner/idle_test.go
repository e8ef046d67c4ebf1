package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestRunReapStopsIdle: the scheduled reap workflow finds an environment idle by its record (its
// own idle time, as the executor recorded it), queues its stop under the executors' rules,
// and writes the sticky comment at once; the environment is stopped, not destroyed; a dry run
// before only names it; the next push resumes it and the comment says so.
func TestRunReapStopsIdle(t *testing.T) {
	t.Parallel()
	const env = "preview-pr-7"
	h := newHarness(t)
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	last := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	if _, _, err := h.bus.Envs.Update(context.Background(), env, func(rec *events.EnvRecord, _ bool) error {
		rec.LastActivity = last
		rec.SetIdleAfter(time.Hour)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	reap := action.Intent{Kind: action.KindReap, Trigger: "schedule", Repo: "acme/app", Owner: "acme", Name: "app"}
	if code := h.runGitHub(reap, fake, "ghs_runner", func(r *Request) { r.Inputs.DryRun = true }); code != ExitOK {
		t.Fatalf("dry-run reap exit %d\n%s", code, h.out.String())
	}
	if st, _, _ := h.fake.Env(env); st.State != providers.StateRunning || !strings.Contains(h.out.String(), "stop 1 idle one(s): "+env) {
		t.Fatalf("dry run: environment %s, output lacks the idle one:\n%s", st.State, h.out.String())
	}
	if code := h.runGitHub(reap, fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("reap exit %d\n%s", code, h.out.String())
	}
	st, ok, _ := h.fake.Env(env)
	if !ok || st.State != providers.StateStopped {
		t.Fatalf("after the reap the environment is %+v (exists %t), want stopped, not destroyed\n%s", st, ok, h.out.String())
	}
	c, m := sticky(t, fake, 7, env)
	want := "Stopped while idle: no push, command or traffic since " + last.Format("2006-01-02 15:04 UTC")
	if !strings.Contains(c.Body, want) || m.Provider != providertest.FakeName {
		t.Fatalf("sticky comment after the idle stop lacks %q or the provider (marker %+v):\n%s", want, m, c.Body)
	}
	rec, _, _ := h.bus.Envs.Get(context.Background(), env)
	if !rec.IdleStopFor.Equal(last) || rec.AppliedGeneration < rec.IdleStopGeneration {
		t.Errorf("record %+v does not show the idle stop applied", rec)
	}
	// A second scheduled run finds nothing more to do.
	if code := h.runGitHub(reap, fake, "ghs_runner"); code != ExitOK || !strings.Contains(h.out.String(), "no expired or idle environments") {
		t.Fatalf("second reap exit %d\n%s", code, h.out.String())
	}

	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.synchronize"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("push exit %d\n%s", code, h.out.String())
	}
	if st, _, _ := h.fake.Env(env); st.State != providers.StateRunning {
		t.Fatalf("after the push the environment is %s, want running", st.State)
	}
	if c, _ := sticky(t, fake, 7, env); !strings.Contains(c.Body, "Resumed after an idle stop") {
		t.Errorf("sticky comment after the push does not say it resumed:\n%s", c.Body)
	}
}
