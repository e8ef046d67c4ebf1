package runner

import (
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/github/githubtest"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

func withProvider(name string) func(*Request) {
	return func(r *Request) { r.Inputs.Provider = name }
}

// TestRunRecordedProviderWins: destroy, stop, start and status use the provider the
// environment was deployed with (from its record), whatever the input says; a deploy naming
// another provider than the live environment's is refused before publishing.
func TestRunRecordedProviderWins(t *testing.T) {
	t.Parallel()
	other := providertest.NewFake(providertest.WithName("other"))
	h := newHarnessWith(t, []providers.Provider{other})
	const env = "preview-pr-7"
	if code := h.run(prIntent(action.KindDeploy, "pull_request.opened")); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	h.out.Reset()
	if code := h.run(prIntent(action.KindDeploy, "pull_request.synchronize"), withProvider("other")); code != ExitFailed {
		t.Fatalf("deploy with another provider: exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	if out := h.out.String(); !strings.Contains(out, "destroy it first") || len(errorLines(out)) != 1 {
		t.Errorf("deploy with another provider: want one error telling to destroy first:\n%s", out)
	}
	if _, ok, _ := other.Env(env); ok {
		t.Fatal("the refused deploy reached the other provider")
	}
	for _, kind := range []action.Kind{action.KindStop, action.KindStart, action.KindStatus} {
		if code := h.run(prIntent(kind, "workflow_dispatch"), withProvider("other")); code != ExitOK {
			t.Fatalf("%s exit %d\n%s", kind, code, h.out.String())
		}
	}
	if n := other.Count(env); n != 0 {
		t.Errorf("the other provider saw %d operations on %s", n, env)
	}
	if code := h.run(prIntent(action.KindDestroy, "pull_request.closed"), withProvider("other")); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env(env); ok {
		t.Errorf("destroy with another provider input orphaned the environment\n%s", h.out.String())
	}
}

// TestRunMarkerProviderWins: with nothing remembered between runs (fresh embedded buses), the
// sticky comment's marker names the provider, so a destroy still reaches the right one.
func TestRunMarkerProviderWins(t *testing.T) {
	t.Parallel()
	other := providertest.NewFake(providertest.WithName("other"))
	h := newHarnessWith(t, []providers.Provider{other})
	h.fresh = true
	fake := githubtest.New(t, "acme", "app", "ghs_runner")
	const env = "preview-pr-7"
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.opened"), fake, "ghs_runner"); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	if _, m := sticky(t, fake, 7, env); m.Provider != providertest.FakeName {
		t.Errorf("marker %+v, want provider %q", m, providertest.FakeName)
	}
	if code := h.runGitHub(prIntent(action.KindDeploy, "pull_request.synchronize"), fake, "ghs_runner", withProvider("other")); code != ExitFailed {
		t.Fatalf("deploy with another provider: exit %d, want %d\n%s", code, ExitFailed, h.out.String())
	}
	if code := h.runGitHub(prIntent(action.KindDestroy, "pull_request.closed"), fake, "ghs_runner", withProvider("other")); code != ExitOK {
		t.Fatalf("destroy exit %d\n%s", code, h.out.String())
	}
	if _, ok, _ := h.fake.Env(env); ok {
		t.Errorf("destroy with another provider input orphaned the environment\n%s", h.out.String())
	}
	if _, m := sticky(t, fake, 7, env); m.Provider != "" || !m.Closed {
		t.Errorf("marker after destroy %+v, want closed and no provider", m)
	}
}

// TestRunRefusesAnotherRepositorysEnvironment: an environment whose record belongs to another
// repository is not touched: one error, nothing published.
func TestRunRefusesAnotherRepositorysEnvironment(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const env = "preview-pr-7"
	if code := h.run(prIntent(action.KindDeploy, "pull_request.opened")); code != ExitOK {
		t.Fatalf("deploy exit %d\n%s", code, h.out.String())
	}
	ops := h.fake.Count(env)
	for _, kind := range []action.Kind{action.KindDestroy, action.KindDeploy} {
		h.out.Reset()
		it := prIntent(kind, "pull_request.closed")
		it.Repo, it.Name = "acme/other", "other"
		if code := h.run(it); code != ExitFailed {
			t.Fatalf("%s from another repository: exit %d, want %d\n%s", kind, code, ExitFailed, h.out.String())
		}
		out := h.out.String()
		if errs := errorLines(out); len(errs) != 1 || !strings.Contains(errs[0], "belongs to acme/app") || !strings.Contains(errs[0], "{repo}") {
			t.Errorf("%s from another repository: errors %q, want one naming acme/app and {repo}", kind, errs)
		}
	}
	if n := h.fake.Count(env); n != ops {
		t.Errorf("another repository's jobs reached the provider (%d operations, %d before)", n, ops)
	}
	if _, ok, _ := h.fake.Env(env); !ok {
		t.Error("another repository destroyed the environment")
	}
}
