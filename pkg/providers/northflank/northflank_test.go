package northflank_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/northflank"
	"github.com/sindri/deploy/v3/pkg/providers/northflank/northflanktest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

func specFor(t *testing.T, env, src string) *providers.Spec {
	t.Helper()
	return &providers.Spec{Env: env, Config: loadConfig(t, src), Image: "ghcr.io/sindri/test:1",
		Labels: map[string]string{providers.LabelEnv: env, providers.LabelRepo: "o/r"}}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantNothing(t *testing.T, f *northflanktest.Fake, env string) {
	t.Helper()
	if got := f.Find(env); len(got) != 0 {
		t.Errorf("left for %s: %v", env, got)
	}
}

// ownProjectConfig names no project: the environment gets a project of its own.
const ownProjectConfig = `version: "3.0"
name: own
deployment:
  provider: northflank
  image: ghcr.io/sindri/test:1
  volumes:
    workspace: {path: /workspace, size: 2GB}
extensions:
  profile: minimal
`

// A config without projectName makes a project per environment (with a volume in MB) and
// Destroy, without the config, removes it all.
func TestOwnProjectMadeAndRemoved(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	s := specFor(t, "pr-own", ownProjectConfig)
	ctx := ctxFor(t)
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	pid := northflank.OwnProjectID("o/r", "pr-own")
	if _, ok := f.Project(pid); !ok {
		t.Fatalf("project %s not made: %v", pid, f.Find("pr-own"))
	}
	got := strings.Join(f.Find("pr-own"), " ")
	if !strings.Contains(got, "volume/"+pid+"/pr-own-") {
		t.Errorf("no volume: %s", got)
	}
	req := findRequest(t, f, "POST /v1/projects/{p}/volumes")
	if !strings.Contains(req, `"storageSize":2048`) || !strings.Contains(req, `"containerMountPath":"/workspace"`) {
		t.Errorf("volume body %s", req)
	}
	if err := p.Destroy(ctx, &providers.Spec{Env: "pr-own", Labels: s.Labels}); err != nil {
		t.Fatal(err)
	}
	wantNothing(t, f, "pr-own")
}

// A project the config names is the user's: Destroy leaves it and whatever else it holds.
func TestUserProjectNeverDeleted(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	f.PutProject("team-proj", "the team's project")
	f.PutService("team-proj", "billing-api")
	s := specFor(t, "pr-user", strings.Replace(conformanceConfig, "conf-shared", "team-proj", 1))
	ctx := ctxFor(t)
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Destroy(ctx, &providers.Spec{Env: "pr-user", Labels: s.Labels}); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Project("team-proj"); !ok {
		t.Fatal("the user's project was deleted")
	}
	if _, ok := f.Service("team-proj", "billing-api"); !ok {
		t.Fatal("the user's service was deleted")
	}
	wantNothing(t, f, "pr-user")
}

func findRequest(t *testing.T, f *northflanktest.Fake, route string) string {
	t.Helper()
	method, path, _ := strings.Cut(route, " ")
	for _, e := range f.API.Requests() {
		if ok, _ := filepath.Match(strings.ReplaceAll(path, "{p}", "*"), e.Path); ok && e.Method == method {
			return e.Body
		}
	}
	t.Fatalf("no request %s", route)
	return ""
}

// A workload that fails as it starts is reported in seconds with its last log lines
// (redacted), and what this Deploy made is removed.
func TestFailingWorkloadReportedAtOnce(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	s := specFor(t, "pr-crash", conformanceConfig)
	s.Image = northflanktest.CrashImage
	s.Options.Timeout = 10 * time.Minute
	s.Secrets = []providers.SecretValue{{Name: "CRASH_PRINTS", Value: providertest.Canary("s3cr3t-value-91")}}
	rec := &providertest.Recorder{}
	start := time.Now()
	_, err := p.Deploy(ctxFor(t), s, rec)
	if !errors.Is(err, providers.ErrWorkloadFailed) || !strings.Contains(err.Error(), "panic: open /data/config.yaml") {
		t.Fatalf("Deploy = %v, want ErrWorkloadFailed quoting the last line", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failure took %s", d)
	}
	lines := strings.Join(rec.Lines(), "\n")
	if !strings.Contains(lines, "reading /data/config.yaml") || strings.Contains(lines, "s3cr3t-value-91") || !strings.Contains(lines, "CRASH_PRINTS=") {
		t.Errorf("reported lines (want the log, redacted):\n%s", lines)
	}
	wantNothing(t, f, "pr-crash")
}

// Bad credentials, quota, a name taken by someone else and a region that does not exist each
// end in one permanent error naming the provider, the HTTP status, the request id and the fix.
func TestErrorsNameStatusRequestAndFix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		token  string
		src    string
		setup  func(f *northflanktest.Fake)
		target error
		want   []string
	}{
		{"bad credentials", "wrong-token", conformanceConfig, nil, providers.ErrAuth,
			[]string{"HTTP 401", "fix: set a valid NORTHFLANK_API_TOKEN"}},
		{"quota", testToken, conformanceConfig, func(f *northflanktest.Fake) { f.QuotaExceeded = true }, providers.ErrQuota,
			[]string{"HTTP 402", "insufficient credits", "fix: add credits"}},
		{"name collision", testToken, conformanceConfig, func(f *northflanktest.Fake) {
			f.PutProject("conf-shared", "shared")
			f.PutService("conf-shared", northflank.ServiceID("o/r", "pr-err"))
		}, providers.ErrConflict, []string{"HTTP 409", "same derived identifier", "was not made by sindri", "fix: rename or remove it"}},
		{"region that does not exist", testToken, strings.Replace(conformanceConfig, "projectName: conf-shared", "projectName: new-proj\n    region: us-east-1", 1), nil,
			providers.ErrInvalidSpec, []string{"HTTP 400", "region us-east-1 not found", "fix: set providers.northflank.region to one of", "us-east1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := northflanktest.New(t, testToken)
			if tc.setup != nil {
				tc.setup(f)
			}
			p := providerFor(t, f, tc.token, nil)
			_, err := p.Deploy(ctxFor(t), specFor(t, "pr-err", tc.src), nil)
			if !errors.Is(err, tc.target) || providers.IsRetryable(err) {
				t.Fatalf("Deploy = %v, want permanent %v", err, tc.target)
			}
			msg := err.Error()
			for _, w := range append(tc.want, "northflank: ", "(request nffake-") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Count(msg, "HTTP ") != 1 {
				t.Errorf("error %q is not one error", msg)
			}
			if providers.Hint(err) == "" && tc.target != providers.ErrInvalidSpec {
				t.Errorf("no hint for %v", err)
			}
			for _, o := range f.Find("pr-err") {
				if !strings.HasPrefix(o, "service/conf-shared/") || tc.name != "name collision" {
					t.Errorf("left behind: %s", o)
				}
			}
		})
	}
}

// The token's budget is one for every environment and provider of an executor: once the
// platform says it is spent, a second provider on the same token sends nothing and gets a
// retryable error carrying the reset, for the executor to requeue the job.
func TestRateBudgetSharedPerToken(t *testing.T) {
	t.Parallel()
	f := northflanktest.New(t, testToken)
	f.Lock(func(f *northflanktest.Fake) { f.Budget = 6 })
	lim := rest.NewLimiters(time.Second)
	a, b := providerFor(t, f, testToken, lim), providerFor(t, f, testToken, lim)
	ctx := ctxFor(t)
	_, err := a.Deploy(ctx, specFor(t, "pr-a", conformanceConfig), nil)
	if err == nil || !providers.IsRetryable(err) || !errors.Is(err, rest.ErrRateLimited) {
		t.Fatalf("Deploy on a spent budget = %v, want retryable ErrRateLimited", err)
	}
	sent := f.API.Total()
	_, err = b.Status(ctx, specFor(t, "pr-b", conformanceConfig))
	if !errors.Is(err, rest.ErrRateLimited) || providers.RetryAfterOf(err) < 30*time.Minute {
		t.Fatalf("Status of another env = %v (retry after %s), want ErrRateLimited with the hour's reset", err, providers.RetryAfterOf(err))
	}
	if f.API.Total() != sent {
		t.Errorf("the second provider sent %d requests on a spent budget", f.API.Total()-sent)
	}
	other := providerFor(t, f, testToken, rest.NewLimiters(time.Second)) // another executor: its own view
	if _, err := other.Status(ctx, specFor(t, "pr-c", conformanceConfig)); err == nil || f.API.Total() == sent {
		t.Errorf("a provider with its own limiter should have asked and been refused: %v", err)
	}
}

// The guide's example asks for autoscaling from 1 to 5 on nf-compute-200, and gets it.
func TestGuideExamplePlansWhatTheGuideSays(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "shared", "fixtures", "guide-examples", "northflank.sindri.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := specFor(t, "guide", string(src))
	pl, err := p.Plan(ctxFor(t), s)
	if err != nil {
		t.Fatal(err)
	}
	art := pl.Artifacts[northflank.ArtifactService]
	for _, w := range []string{`"deploymentPlan": "nf-compute-200"`, `"minReplicas": 1`, `"maxReplicas": 5`, `"enabled": true`, `"instances": 1`} {
		if !strings.Contains(art, w) {
			t.Errorf("artifact lacks %s:\n%s", w, art)
		}
	}
	if strings.Contains(art, "volumesToAttach") {
		t.Errorf("a volume would pin the autoscaled service to one instance:\n%s", art)
	}
	if pl.EstimatedCost == nil || *pl.EstimatedCost.Hourly != 0.07 {
		t.Errorf("cost = %+v", pl.EstimatedCost)
	}
}

// Stop pauses and Start resumes; a resume of a running service (409) is success.
func TestStartOnRunningIsSuccess(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	s := specFor(t, "pr-run", conformanceConfig)
	ctx := ctxFor(t)
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(ctx, s); err != nil {
		t.Fatal(err)
	}
	if st, _ := p.Status(ctx, s); st.State != providers.StatePaused {
		t.Fatalf("state after Stop = %v", st.State)
	}
	// Someone resumed it meanwhile: Start's resume answers 409 and that is fine.
	f.Lock(func(*northflanktest.Fake) {})
	if err := p.Start(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx, s); err != nil {
		t.Fatal(err)
	}
}
