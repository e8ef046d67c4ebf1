package e2b_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/e2b"
	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// Errors say the provider, the HTTP status, the request id and the fix, once, and leave
// nothing behind.
func TestErrorsNameStatusRequestAndFix(t *testing.T) {
	t.Parallel()
	noImage := strings.Replace(baseYAML, "  image: "+testImage+"\n", "", 1)
	for _, tc := range []struct {
		name   string
		key    string
		src    string
		setup  func(f *e2btest.Fake)
		target error
		want   []string
	}{
		{"bad key", "e2b_wrong", baseYAML, nil, providers.ErrAuth,
			[]string{"HTTP 401", "Invalid API key", "fix: set a valid E2B_API_KEY"}},
		{"concurrency quota", testKey, baseYAML, func(f *e2btest.Fake) { f.Concurrency = 0 }, providers.ErrQuota,
			[]string{"HTTP 429", "maximum number of concurrent E2B sandboxes", "fix: pause or destroy other sandboxes"}},
		{"unknown template", testKey, noImage, func(f *e2btest.Fake) { f.NoBase = true }, providers.ErrNotFound,
			[]string{"HTTP 404", "template 'base' not found", `fix: template "conf" does not exist`, "set deployment.image"}},
		{"timeout above the plan", testKey, strings.Replace(baseYAML, "timeout: 600", "timeout: 7200", 1), nil, providers.ErrInvalidSpec,
			[]string{"HTTP 400", "Timeout cannot be greater than 1 hours", "fix: lower providers.e2b.timeout (7200 s)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := e2btest.New(t, testKey)
			if tc.setup != nil {
				f.Lock(tc.setup)
			}
			p, err := e2b.New(e2b.Config{APIURL: f.URL(), APIKey: tc.key, PollInterval: time.Millisecond, StableFor: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Deploy(ctxFor(t), newSpec(t, "pr-err", tc.src), nil)
			if !errors.Is(err, tc.target) || providers.IsRetryable(err) {
				t.Fatalf("Deploy = %v, want permanent %v", err, tc.target)
			}
			var pe *providers.PartialError
			if errors.As(err, &pe) {
				t.Errorf("error is a PartialError (left %v)", pe.Remaining)
			}
			msg := err.Error()
			for _, w := range append(tc.want, "e2b: ", "(request e2bfake-") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Count(msg, "HTTP ") != 1 {
				t.Errorf("error %q is not one error", msg)
			}
			if left := inventory(f, "pr-err"); len(left) > 0 {
				t.Errorf("left after the failed Deploy: %v", left)
			}
		})
	}
}

// The guide's example plans what the guide says: an hour's timeout, paused (not killed) at
// its end, and, with no image, E2B's default template, said in a warning.
func TestGuideExamplePlansWhatTheGuideSays(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t, nil)
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "shared", "fixtures", "guide-examples", "e2b.sindri.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := newSpec(t, "guide", string(src))
	pl, err := p.Plan(ctxFor(t), s)
	if err != nil {
		t.Fatal(err)
	}
	art := pl.Artifacts[e2b.ArtifactSandbox]
	for _, w := range []string{`"timeout": 3600`, `"autoPause": true`, `"templateID": "base"`} {
		if !strings.Contains(art, w) {
			t.Errorf("artifact lacks %s:\n%s", w, art)
		}
	}
	if !strings.Contains(strings.Join(pl.Warnings, "\n"), `default template "base"`) {
		t.Errorf("warnings %q do not say the default template is used", pl.Warnings)
	}
	if pl.EstimatedCost == nil || *pl.EstimatedCost.Hourly <= 0 || !strings.Contains(pl.EstimatedCost.Notes, "e2b.dev/pricing") {
		t.Errorf("cost = %+v", pl.EstimatedCost)
	}
}

// A create that E2B applied but answered 500 is found by metadata, not sent again.
func TestCreateAnswered500AfterCreateMakesOneSandbox(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t, nil)
	f.API.Add(apifake.Rule{Route: "POST /sandboxes", Nth: 1, Action: apifake.ApplyThenFail(http.StatusInternalServerError)})
	if _, err := p.Deploy(ctxFor(t), newSpec(t, "pr-500", baseYAML), nil); err != nil {
		t.Fatal(err)
	}
	if got := f.Sandboxes("pr-500"); len(got) != 1 {
		t.Errorf("sandboxes = %v, want one", got)
	}
	if n := f.API.Count("POST /sandboxes"); n != 1 {
		t.Errorf("creates sent = %d, want 1", n)
	}
}

// A failing build and a sandbox that vanishes as it starts are reported at once (not at the
// timeout), with the build's last log lines, and nothing is left.
func TestFailingWorkloadReportedAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ image, want string }{
		{e2btest.BadImage, "manifest unknown"},
		{e2btest.CrashImage, "was killed or crashed"},
	} {
		t.Run(tc.image, func(t *testing.T) {
			t.Parallel()
			p, f := newTestProvider(t, nil)
			s := newSpec(t, "pr-crash", baseYAML)
			s.Image, s.Options.Timeout = tc.image, 10*time.Minute
			rec := &providertest.Recorder{}
			start := time.Now()
			_, err := p.Deploy(ctxFor(t), s, rec)
			if !errors.Is(err, providers.ErrWorkloadFailed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Deploy = %v, want ErrWorkloadFailed saying %q", err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("failure took %s", d)
			}
			if !strings.Contains(strings.Join(rec.Lines(), "\n"), tc.want) {
				t.Errorf("reported lines %q lack %q", rec.Lines(), tc.want)
			}
			if left := inventory(f, "pr-crash"); len(left) > 0 {
				t.Errorf("left: %v", left)
			}
		})
	}
}

// The key may come with the job as a credential; it is never put into the sandbox, even
// when the config delivers it as a secret. Without a key every verb says which to set.
func TestCredentialNeverDelivered(t *testing.T) {
	t.Parallel()
	f := e2btest.New(t, testKey)
	p, err := e2b.New(e2b.Config{APIURL: f.URL(), PollInterval: time.Millisecond, StableFor: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := newSpec(t, "pr-cred", baseYAML)
	if _, err := p.Status(ctxFor(t), s); !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "E2B_API_KEY") {
		t.Fatalf("Status without a key = %v", err)
	}
	if r := p.Check(ctxFor(t)); r.Ready || len(r.Problems) != 1 || r.Problems[0] != "E2B_API_KEY" {
		t.Errorf("Check = %+v", r)
	}
	key := providers.SecretValue{Name: "E2B_API_KEY", Value: plainSecret(testKey)}
	s.Credentials = []providers.SecretValue{key}
	s.Secrets = append(s.Secrets, key) // declared deliver: true
	if _, err := p.Deploy(ctxFor(t), s, nil); err != nil {
		t.Fatal(err)
	}
	sb, _ := f.Sandbox(f.Sandboxes("pr-cred")[0])
	for k, v := range sb.EnvVars {
		if v == testKey || k == "E2B_API_KEY" {
			t.Errorf("sandbox env carries the key as %s", k)
		}
	}
}

// A sandbox paused by its timeout is resumed by the next Deploy, and a running one gets its
// timeout set again; Stop of a paused one is success (409 taken as done).
func TestTimeoutPauseAndRedeploy(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t, nil)
	s := newSpec(t, "pr-ttl", baseYAML)
	ctx := ctxFor(t)
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	id := f.Sandboxes("pr-ttl")[0]
	f.Expire(id) // autoPause: paused, not killed
	st, err := p.Status(ctx, &providers.Spec{Env: s.Env, Labels: s.Labels})
	if err != nil || st.State != providers.StatePaused {
		t.Fatalf("Status after the timeout = %+v, %v", st, err)
	}
	if err := p.Stop(ctx, s); err != nil {
		t.Fatalf("Stop of a paused sandbox = %v", err)
	}
	d, err := p.Deploy(ctx, s, nil)
	if err != nil || !d.Changed {
		t.Fatalf("Deploy of a paused sandbox = %+v, %v", d, err)
	}
	if got := f.Sandboxes("pr-ttl"); len(got) != 1 || got[0] != id {
		t.Errorf("sandboxes = %v, want the same %s resumed", got, id)
	}
	before := f.API.Count("POST /sandboxes/{id}/timeout")
	if d, err := p.Deploy(ctx, s, nil); err != nil || d.Changed {
		t.Fatalf("Deploy again = %+v, %v", d, err)
	}
	if f.API.Count("POST /sandboxes/{id}/timeout") != before+1 {
		t.Errorf("a second Deploy did not set the timeout again")
	}
}

// Two sandboxes of one environment are refused, naming both; Destroy removes both and the
// template, and leaves a foreign sandbox alone.
func TestTwoSandboxesOfOneEnvRefused(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t, nil)
	meta := map[string]string{"sindri.dev/env": "pr-2", "sindri.dev/managed-by": "sindri-deploy", "sindri.dev/repo-hash": "86f279ce"} // acme/web
	a := f.Put(e2btest.Sandbox{Metadata: meta})
	b := f.Put(e2btest.Sandbox{Metadata: meta})
	foreign := f.Put(e2btest.Sandbox{Metadata: map[string]string{"sindri.dev/env": "pr-2"}})
	s := newSpec(t, "pr-2", baseYAML)
	_, err := p.Deploy(ctxFor(t), s, nil)
	if !errors.Is(err, providers.ErrConflict) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Fatalf("Deploy = %v, want ErrConflict naming %s and %s", err, a, b)
	}
	if err := p.Destroy(ctxFor(t), &providers.Spec{Env: "pr-2"}); err != nil {
		t.Fatal(err)
	}
	if got := f.Sandboxes("pr-2"); len(got) != 1 || got[0] != foreign {
		t.Errorf("sandboxes left = %v, want only the foreign %s", got, foreign)
	}
}

// A new image builds a new template; the old one is deleted once the new sandbox runs.
func TestNewImageReplacesSandboxAndTemplate(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t, nil)
	s := newSpec(t, "pr-img", baseYAML)
	ctx := ctxFor(t)
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	old := inventory(f, "pr-img")
	s.Image = "ghcr.io/sindri/test:2"
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	now := inventory(f, "pr-img")
	if len(now) != 2 || now[0] == old[0] || now[1] == old[1] {
		t.Errorf("inventory %v after a new image, was %v: want a new sandbox and template only", now, old)
	}
	if err := p.Destroy(ctx, &providers.Spec{Env: s.Env, Labels: s.Labels}); err != nil {
		t.Fatal(err)
	}
	if left := inventory(f, "pr-img"); len(left) > 0 {
		t.Errorf("left after Destroy: %v", left)
	}
}
