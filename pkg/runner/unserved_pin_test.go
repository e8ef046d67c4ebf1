package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// pinTo records env as deployed (or not) with provider, which nothing here serves.
func (h *harness) pinTo(env, provider string, state providers.State) {
	h.t.Helper()
	if _, _, err := h.bus.Envs.Update(context.Background(), env, func(rec *events.EnvRecord, _ bool) error {
		rec.Repo, rec.PR, rec.Provider, rec.State = "acme/app", 7, provider, state
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) record(env string) *events.EnvRecord {
	h.t.Helper()
	rec, _, err := h.bus.Envs.Get(context.Background(), env)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec
}

func forced(it action.Intent) action.Intent { it.Force = true; return it }

// TestRunUnservedPinWayBack: an environment pinned to a provider nothing here serves (fly)
// cannot be destroyed there, so its pin has a way back. Live: a deploy with the served
// provider and a plain destroy are refused with the way out, nothing published; destroy
// --force forgets it (a warning says what may be left on fly) and a deploy then works. Not
// deployed (its jobs never ran): the destroy runs with the served provider at once.
func TestRunUnservedPinWayBack(t *testing.T) {
	t.Parallel()
	const env = "preview-pr-7"
	t.Run("live", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.pinTo(env, "fly", providers.StateRunning)
		for _, kind := range []action.Kind{action.KindDeploy, action.KindDestroy} {
			h.out.Reset()
			if code := h.run(prIntent(kind, "issue_comment.created")); code != ExitFailed {
				t.Fatalf("%s: exit %d, want %d\n%s", kind, code, ExitFailed, h.out.String())
			}
			out := h.out.String()
			if errs := errorLines(out); len(errs) != 1 || !strings.Contains(errs[0], "destroy --force") || !strings.Contains(errs[0], "not available here") {
				t.Errorf("%s: errors %q, want one naming `/sindri destroy --force`", kind, errs)
			}
		}
		if n := h.fake.Count(env); n != 0 {
			t.Fatalf("refused jobs reached the provider %d times", n)
		}
		h.out.Reset()
		if code := h.run(forced(prIntent(action.KindDestroy, "issue_comment.created"))); code != ExitOK {
			t.Fatalf("destroy --force: exit %d\n%s", code, h.out.String())
		}
		if out := h.out.String(); !strings.Contains(out, "remove what is left on fly by hand") {
			t.Errorf("destroy --force gave no warning about fly:\n%s", out)
		}
		if rec := h.record(env); rec.Provider != providertest.FakeName || rec.State != providers.StateNotDeployed {
			t.Errorf("record after destroy --force: provider %q state %s, want %q notdeployed", rec.Provider, rec.State, providertest.FakeName)
		}
		if code := h.run(prIntent(action.KindDeploy, "issue_comment.created")); code != ExitOK {
			t.Fatalf("deploy after destroy --force: exit %d\n%s", code, h.out.String())
		}
		if st, ok, _ := h.fake.Env(env); !ok || st.State != providers.StateRunning {
			t.Errorf("deploy after destroy --force did not deploy: %+v\n%s", st, h.out.String())
		}
	})
	t.Run("never deployed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.pinTo(env, "fly", providers.StateUnknown)
		if code := h.run(prIntent(action.KindDestroy, "pull_request.closed")); code != ExitOK {
			t.Fatalf("destroy: exit %d\n%s", code, h.out.String())
		}
		if rec := h.record(env); rec.Provider != providertest.FakeName {
			t.Errorf("record after destroy names provider %q, want %q", rec.Provider, providertest.FakeName)
		}
		if code := h.run(prIntent(action.KindDeploy, "pull_request.reopened")); code != ExitOK {
			t.Fatalf("deploy: exit %d\n%s", code, h.out.String())
		}
		if _, ok, _ := h.fake.Env(env); !ok {
			t.Errorf("the deploy did not deploy\n%s", h.out.String())
		}
	})
}
