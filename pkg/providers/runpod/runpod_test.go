package runpod_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
	"github.com/sindri/deploy/v3/pkg/providers/runpod"
	"github.com/sindri/deploy/v3/pkg/providers/runpod/runpodtest"
)

func specFor(t *testing.T, env, src string) *providers.Spec {
	t.Helper()
	return &providers.Spec{Env: env, Config: loadConfig(t, src), Image: "ghcr.io/sindri/test:1",
		Labels: map[string]string{providers.LabelEnv: env}}
}

func wantNoPods(t *testing.T, f *runpodtest.Fake, env string) {
	t.Helper()
	if got := f.Pods(env); len(got) != 0 {
		t.Errorf("pods of %s left: %v", env, got)
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A create that RunPod applied but answered 500 is found by name and marker, not sent again.
func TestCreateAnswered500AfterCreateMakesOnePod(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	f.API.Add(apifake.Rule{Route: "POST /v2/pods", Nth: 1, Action: apifake.ApplyThenFail(http.StatusInternalServerError)})
	s := specFor(t, "pr-500", conformanceConfig)
	if _, err := p.Deploy(ctxFor(t), s, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.Pods("pr-500"); len(got) != 1 {
		t.Errorf("pods = %v, want one", got)
	}
	if n := f.API.Count("POST /v2/pods"); n != 1 {
		t.Errorf("creates sent = %d, want 1", n)
	}
}

// Two pods of one environment are refused, naming both; Destroy removes both.
func TestTwoPodsOfOneEnvRefused(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	env := map[string]string{"SINDRI_ENV": "pr-2"}
	a := f.Put(runpodtest.Pod{Name: "pr-2", Env: env, Cloud: "SECURE", Ports: []string{"22/tcp"}})
	b := f.Put(runpodtest.Pod{Name: "pr-2", Env: env, Cloud: "SECURE", Ports: []string{"22/tcp"}})
	f.Put(runpodtest.Pod{Name: "pr-2", Env: map[string]string{}, Cloud: "SECURE"}) // a foreign pod of the same name
	s := specFor(t, "pr-2", conformanceConfig)
	_, err := p.Deploy(ctxFor(t), s, nil)
	if !errors.Is(err, providers.ErrConflict) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Fatalf("Deploy = %v, want ErrConflict naming %s and %s", err, a, b)
	}
	if err := p.Destroy(ctxFor(t), &providers.Spec{Env: "pr-2"}); err != nil {
		t.Fatal(err)
	}
	wantNoPods(t, f, "pr-2")
}

// A pod whose container fails is reported with its log lines long before the timeout, and
// the pod this Deploy made is removed.
func TestFailingPodReportedAtOnce(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	s := specFor(t, "pr-crash", conformanceConfig)
	s.Image = runpodtest.CrashImage
	s.Options.Timeout = 10 * time.Minute
	start := time.Now()
	_, err := p.Deploy(ctxFor(t), s, nil)
	if err == nil || !strings.Contains(err.Error(), "status ERROR") || !strings.Contains(err.Error(), "panic: cannot open") {
		t.Fatalf("Deploy = %v, want the failure with its log lines", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failure took %s", d)
	}
	wantNoPods(t, f, "pr-crash")
}

// Start after stop can find the host's GPU taken: ErrCapacity, said plainly. The SSH port
// after a stop and start is the new one.
func TestStopStartCapacityAndNewPorts(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	s := specFor(t, "pr-ss", conformanceConfig)
	ctx := ctxFor(t)
	if _, err := p.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	before := sshPortOf(t, p, s)
	if err := p.Stop(ctx, s); err != nil {
		t.Fatal(err)
	}
	f.Lock(func(f *runpodtest.Fake) { f.NoFreeGPUOnStart = true })
	err := p.Start(ctx, s)
	if !errors.Is(err, providers.ErrCapacity) || !strings.Contains(err.Error(), "no capacity to resume") {
		t.Fatalf("Start = %v, want ErrCapacity (no capacity to resume)", err)
	}
	f.Lock(func(f *runpodtest.Fake) { f.NoFreeGPUOnStart = false })
	if err := p.Start(ctx, s); err != nil {
		t.Fatal(err)
	}
	if after := sshPortOf(t, p, s); after == before || after == 0 {
		t.Errorf("ssh port %d before stop, %d after start: want a new one", before, after)
	}
	if n := f.API.Count("POST /v2/pods/{id}/action"); n != 3 {
		t.Errorf("actions = %d, want 3 (stop, refused start, start; never restart)", n)
	}
}

func sshPortOf(t *testing.T, p *runpod.Provider, s *providers.Spec) int {
	t.Helper()
	st, err := p.Status(ctxFor(t), &providers.Spec{Env: s.Env})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range st.Addresses {
		if a.Type == providers.AddressSSH {
			return a.Port
		}
	}
	return 0
}

// TERMINATED pods lingering in lists and GETs are gone.
func TestTerminatedTombstonesAreGone(t *testing.T) {
	t.Parallel()
	p, f := newTestProvider(t)
	f.Lock(func(f *runpodtest.Fake) { f.Tombstones = true })
	s := specFor(t, "pr-tomb", conformanceConfig)
	ctx := ctxFor(t)
	d, err := p.Deploy(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Destroy(ctx, s); err != nil {
		t.Fatal(err)
	}
	h, _ := providers.ParseHandle(d.Handle)
	st, err := p.Status(ctx, &providers.Spec{Env: s.Env, Handle: h})
	if err != nil || st.State != providers.StateNotDeployed {
		t.Fatalf("Status after Destroy = %+v, %v", st, err)
	}
	if err := p.Destroy(ctx, &providers.Spec{Env: s.Env, Handle: h}); err != nil {
		t.Fatalf("second Destroy = %v", err)
	}
	if err := p.Stop(ctx, &providers.Spec{Env: s.Env, Handle: h}); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("Stop after Destroy = %v", err)
	}
}

// A Community Cloud pod without a public IP is judged through its HTTP proxy.
func TestCommunityPodWithoutPublicIPReadyThroughProxy(t *testing.T) {
	t.Parallel()
	f := runpodtest.New(t, testToken)
	f.Lock(func(f *runpodtest.Fake) { f.NoPublicIP = true })
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(proxy.Close)
	p, err := runpod.New(runpod.Config{APIURL: f.URL(), APIKey: testToken, PollInterval: 2 * time.Millisecond,
		ProxyFallback: 10 * time.Millisecond, ProxyURL: func(id string, port int) string { return proxy.URL + "/" + id }})
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(conformanceConfig, "cloudType: SECURE", "cloudType: COMMUNITY", 1)
	d, err := p.Deploy(ctxFor(t), specFor(t, "pr-comm", src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(d.Warnings, func(w string) bool { return strings.Contains(w, "ready through its HTTP proxy") }) {
		t.Errorf("warnings = %q", d.Warnings)
	}
	if d.Connection.SSHCommand != "" || !strings.Contains(d.Connection.Instructions, "@ssh.runpod.io") {
		t.Errorf("connection = %+v", d.Connection)
	}
}

// The key may come with the job as a credential; it is never put into the pod.
func TestCredentialFromJobNotDelivered(t *testing.T) {
	t.Parallel()
	f := runpodtest.New(t, testToken)
	p, err := runpod.New(runpod.Config{APIURL: f.URL(), PollInterval: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s := specFor(t, "pr-cred", conformanceConfig)
	if _, err := p.Status(ctxFor(t), s); !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "RUNPOD_API_KEY") {
		t.Fatalf("Status without a key = %v", err)
	}
	s.Credentials = []providers.SecretValue{{Name: "RUNPOD_API_KEY", Value: providertest.Canary(testToken)}}
	if _, err := p.Deploy(ctxFor(t), s, nil); err != nil {
		t.Fatal(err)
	}
	pod, _ := f.Pod(f.Pods("pr-cred")[0])
	for k, v := range pod.Env {
		if v == testToken || k == "RUNPOD_API_KEY" {
			t.Errorf("pod env carries the key as %s", k)
		}
	}
}

// Errors say the provider, the HTTP status, the request id and the fix, once.
func TestErrorsNameStatusRequestAndFix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		key    string
		src    string
		setup  func(f *runpodtest.Fake)
		target error
		want   []string
	}{
		{"bad credentials", "wrong-key", conformanceConfig, nil, providers.ErrAuth,
			[]string{"HTTP 401", "fix: set a valid RUNPOD_API_KEY"}},
		{"quota", testToken, conformanceConfig, func(f *runpodtest.Fake) { f.QuotaExceeded = true }, providers.ErrQuota,
			[]string{"HTTP 402", "insufficient balance", "fix: add credit"}},
		{"unknown GPU id", testToken, strings.Replace(conformanceConfig, "cloudType: SECURE", "cloudType: SECURE\n    gpuTypeId: Imaginary X1", 1), nil, providers.ErrCapacity,
			[]string{"HTTP 400", "no longer any instances available", `GPU type "Imaginary X1" is not a RunPod GPU id`, "deployment.resources.gpu.tier"}},
		{"no capacity in the region", testToken, strings.Replace(conformanceConfig, "cloudType: SECURE", "cloudType: SECURE\n    region: US-TX-3", 1),
			func(f *runpodtest.Fake) { f.NoCapacity = []string{"NVIDIA RTX A4000"} }, providers.ErrCapacity,
			[]string{"HTTP 400", `no 1 x "NVIDIA RTX A4000" free in SECURE cloud in US-TX-3`, "leave providers.runpod.region unset"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := runpodtest.New(t, testToken)
			if tc.setup != nil {
				f.Lock(tc.setup)
			}
			p, err := runpod.New(runpod.Config{APIURL: f.URL(), APIKey: tc.key, PollInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Deploy(ctxFor(t), specFor(t, "pr-err", tc.src), nil)
			if !errors.Is(err, tc.target) || providers.IsRetryable(err) {
				t.Fatalf("Deploy = %v, want permanent %v", err, tc.target)
			}
			msg := err.Error()
			for _, w := range append(tc.want, "runpod: ", "(request runpodfake-") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Count(msg, "HTTP ") != 1 {
				t.Errorf("error %q is not one error", msg)
			}
			if providers.Hint(err) == "" {
				t.Errorf("no hint for %v", err)
			}
			wantNoPods(t, f, "pr-err")
		})
	}
}

// The guide's example asks for the GPU it names and the volume size it sets.
func TestGuideExamplePlansWhatTheGuideSays(t *testing.T) {
	t.Parallel()
	p, _ := newTestProvider(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "shared", "fixtures", "guide-examples", "runpod.sindri.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := specFor(t, "guide", string(src))
	s.Image = s.Config.Deployment.Image
	pl, err := p.Plan(ctxFor(t), s)
	if err != nil {
		t.Fatal(err)
	}
	art := pl.Artifacts[runpod.ArtifactPod]
	for _, w := range []string{`"id": "NVIDIA RTX A4000"`, `"size": 20`, `"disk": 50`, `"cloud": "COMMUNITY"`} {
		if !strings.Contains(art, w) {
			t.Errorf("artifact lacks %s:\n%s", w, art)
		}
	}
	if pl.EstimatedCost == nil || *pl.EstimatedCost.Hourly <= 0 {
		t.Errorf("cost = %+v", pl.EstimatedCost)
	}
}

// TestPlanGolden pins the exact requests and the artifact of Plan for every fixture config
// that targets runpod (go test ./pkg/providers/runpod/ -run TestPlanGolden -update).
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	for _, fx := range providertest.Fixtures(t, config.ProviderRunPod) {
		name, c := fx.Name, fx.Config
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			img, err := c.ImageRef()
			if err != nil {
				t.Fatal(err)
			}
			p, _ := newTestProvider(t)
			s := &providers.Spec{Env: "pr-42", Config: c, Image: img,
				Labels:  map[string]string{providers.LabelEnv: "pr-42", providers.LabelRepo: "o/r", providers.LabelPR: "42"},
				Secrets: []providers.SecretValue{{Name: "GITHUB_TOKEN", Value: providertest.Canary("ghp_canary_value")}}}
			pl, err := p.Plan(ctxFor(t), s)
			if err != nil {
				t.Fatal(err)
			}
			got := providertest.PlanText(pl, runpod.ArtifactPod)
			if strings.Contains(got, "ghp_canary_value") || strings.Contains(got, testToken) {
				t.Fatal("a secret reached the plan")
			}
			golden.Compare(t, filepath.Join("testdata", "plan", name+".golden"), []byte(got))
		})
	}
}
