package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/secrets"
)

// uiCanary is a secret sealed into jobs of the browser test: the provider logs it and puts it
// in its connect instructions, and no page or server-sent event may show it.
const uiCanary = "ui-canary-3f9a1c-never-on-a-page"

// leakyProvider is a slow Fake whose deploy logs its secret and returns it in the connect
// instructions, the way a careless provider would; the executor's redaction must catch it.
type leakyProvider struct{ *providertest.Fake }

func (p leakyProvider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	for _, sec := range s.Secrets {
		r.Log("using token " + sec.Value.Reveal())
	}
	d, err := p.Fake.Deploy(ctx, s, r)
	if d != nil && len(s.Secrets) > 0 {
		d.Connection = &providers.Connection{HTTPURL: "http://127.0.0.1:1/", Instructions: "login with " + s.Secrets[0].Value.Reveal()}
	}
	return d, err
}

// chromiumPath finds Debian's chromium the way CI does (scripts/tools.sh installs it once).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SINDRI_CHROMIUM_BIN"); p != "" {
		return p
	}
	out, err := exec.Command("../../scripts/tools.sh", "chromium").Output()
	if err != nil {
		t.Fatalf("scripts/tools.sh chromium: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// artifactDir is where the screenshots go: $SINDRI_ARTIFACTS/ui when set, else a temporary
// folder that the test logs.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if a := os.Getenv("SINDRI_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "ui")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

func dockerConfig(name string, port int, broken bool) string {
	image := "  image: sindri-test/hello:1\n"
	if broken {
		// Not on the engine, and pull_policy Never forbids pulling it: the deploy fails.
		image = "  image_config:\n    registry: sindri-test/missing\n    tag_override: \"0\"\n    pull_policy: Never\n"
	}
	return fmt.Sprintf("version: \"3.0\"\nname: %s\ndeployment:\n  provider: docker\n%s  resources:\n    memory: 256MB\n    cpus: 1\n"+
		"extensions:\n  profile: minimal\nproviders:\n  docker:\n    ports:\n      - \"%d:8080\"\n", name, image, port)
}

// TestHeavyUIBrowser starts the executor with the web view on a real JetStream server,
// deploys two Docker environments and fails a third, then drives headless Chromium over the
// view: the environments page lists all three with their states and URLs, a running job's log
// shows its lines as they happen, no page and no server-sent event shows the secret canary,
// and each page is kept as a screenshot.
func TestHeavyUIBrowser(t *testing.T) {
	heavy(t)
	chromium := chromiumPath(t)
	shots := artifactDir(t)
	b := startTestBus(t)
	keyFile := filepath.Join(t.TempDir(), "secrets.xkey")
	var pubOut bytes.Buffer
	if err := keygen([]string{"-o", keyFile}, &pubOut, io.Discard); err != nil {
		t.Fatal(err)
	}
	recipient := strings.TrimSpace(pubOut.String())
	uiPort := testports.Free(t)
	base := "http://127.0.0.1:" + strconv.Itoa(uiPort)
	slow := leakyProvider{providertest.NewFake(providertest.WithName("slow"), providertest.WithStepDelay(2*time.Second))}
	env := map[string]string{
		"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "docker,slow", "SINDRI_METRICS_LISTEN": "",
		"SINDRI_DRAIN_TIMEOUT": "5s", "SINDRI_SECRETS_KEY_FILE": keyFile, "SINDRI_UI_LISTEN": "127.0.0.1:" + strconv.Itoa(uiPort),
		"SINDRI_REAPER_INTERVAL": "1h",
	}
	// An idle stop far beyond the test, for the idle deadline column.
	cfgFile := filepath.Join(t.TempDir(), "executor.hcl")
	if err := os.WriteFile(cfgFile, []byte("cost {\n  idle_stop = \"2h\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs lockedBuf
	go func() {
		done <- runWith(ctx, []string{"-config", cfgFile}, envMap(env), &logs, []providers.Provider{slow})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if strings.Contains(logs.String(), uiCanary) {
			t.Error("the executor's logs show the canary")
		}
	})

	type envSpec struct {
		env, repo string
		pr, port  int
		broken    bool
		url       string
	}
	specs := []*envSpec{
		{env: "uiweb-pr-1", repo: "acme/web", pr: 1},
		{env: "uiapi-pr-2", repo: "acme/api", pr: 2},
		{env: "uibroken-pr-3", repo: "acme/web", pr: 3, broken: true},
	}
	publish := func(kind jobs.Kind, provider, envName, repo string, pr int, config string, seal bool) *jobs.Job {
		t.Helper()
		j, err := jobs.New(kind, envName, provider)
		if err != nil {
			t.Fatal(err)
		}
		if kind.Mutates() {
			j.Generation = b.bump(t, envName, kind == jobs.KindDestroy)
		}
		j.Repo, j.PR, j.Trigger, j.RequestedBy = repo, pr, "pull_request.synchronize", "octocat"
		j.SHA = strings.Repeat("ab", 20)
		j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: config}
		if seal {
			if j.SealedSecrets, err = secrets.Seal(j.ID, []secrets.Resolved{{Name: "APP_TOKEN", Value: secrets.New(uiCanary)}}, recipient); err != nil {
				t.Fatal(err)
			}
		}
		b.publish(t, j)
		return j
	}
	var deploys []*jobs.Job
	for _, s := range specs {
		s.port = testports.Free(t)
		s.url = "http://127.0.0.1:" + strconv.Itoa(s.port)
		deploys = append(deploys, publish(jobs.KindDeploy, "docker", s.env, s.repo, s.pr, dockerConfig(strings.TrimSuffix(s.env, "-pr-"+strconv.Itoa(s.pr)), s.port, s.broken), !s.broken))
	}
	// Whatever happens, the Docker environments go again, through the executor.
	t.Cleanup(func() {
		for _, s := range specs {
			j := publish(jobs.KindDestroy, "docker", s.env, s.repo, s.pr, "", false)
			if ev := b.terminal(t, j.ID, 2*time.Minute); ev.Type != events.TypeSucceeded {
				t.Errorf("destroy %s ended %s: %s", s.env, ev.Type, dataJSON(ev))
			}
		}
	})
	for i, j := range deploys {
		ev := b.terminal(t, j.ID, 3*time.Minute)
		want := events.TypeSucceeded
		if specs[i].broken {
			want = events.TypeFailed
		}
		if ev.Type != want {
			t.Fatalf("deploy %s ended %s, want %s: %s", specs[i].env, ev.Type, want, dataJSON(ev))
		}
	}
	plan := publish(jobs.KindPlan, "docker", specs[0].env, specs[0].repo, specs[0].pr, dockerConfig("uiweb", specs[0].port, false), true)
	if ev := b.terminal(t, plan.ID, time.Minute); ev.Type != events.TypeSucceeded {
		t.Fatalf("plan ended %s: %s", ev.Type, dataJSON(ev))
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	bctx, tcancel := context.WithTimeout(bctx, 3*time.Minute)
	defer tcancel()
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var pages []string
	html := func() string {
		t.Helper()
		h, err := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, h)
		return h
	}

	// count is the number of elements matching a CSS selector on the current page.
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The environments page: all three, with the right states and URLs; the two running ones
	// cost 0.00 USD so far (docker is free) and are stopped 2h after their last activity, the
	// failed one has neither.
	rowText, idleAt := map[string]string{}, map[string]string{}
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#envs"))); err != nil {
		t.Fatalf("environments page: %v\n%s", err, tail(logs.String(), 20))
	}
	for _, s := range specs {
		text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`tr[data-env="`+s.env+`"]`)))
		if err != nil {
			t.Fatalf("row of %s: %v", s.env, err)
		}
		rowText[s.env] = text
		at, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('tr[data-env="`+s.env+`"] td.idle time')?.getAttribute("datetime") ?? ""`))
		if err != nil {
			t.Fatalf("idle deadline of %s: %v", s.env, err)
		}
		idleAt[s.env] = at
	}
	for _, s := range specs {
		text, want := rowText[s.env], ""
		if !s.broken {
			rec, _, err := b.envs.Get(context.Background(), s.env)
			if err != nil || rec.LastActivity.IsZero() {
				t.Fatalf("record of %s = %+v (%v), want a last activity", s.env, rec, err)
			}
			want = rec.LastActivity.Add(2 * time.Hour).UTC().Format(time.RFC3339)
		}
		if idleAt[s.env] != want {
			t.Errorf("idle deadline of %s = %q, want %q", s.env, idleAt[s.env], want)
		}
		switch {
		case !s.broken && !strings.Contains(text, "0.00 USD ("):
			t.Errorf("row of %s = %q, want a cost so far of 0.00 USD", s.env, text)
		case s.broken && strings.Contains(text, "USD"):
			t.Errorf("row of %s = %q, want no cost so far (no job succeeded on it)", s.env, text)
		}
		switch {
		case !s.broken && (!strings.Contains(text, "running") || !strings.Contains(text, s.url)):
			t.Errorf("row of %s = %q, want state running and URL %s", s.env, text, s.url)
		case s.broken && (!strings.Contains(text, "unknown") || !strings.Contains(text, "deploy failed") || strings.Contains(text, s.url)):
			// The provider made nothing, so no state was ever observed.
			t.Errorf("row of %s = %q, want state unknown, a failed deploy as last job and no URL", s.env, text)
		case !strings.Contains(text, fmt.Sprintf("#%d", s.pr)) || !strings.Contains(text, s.repo) || !strings.Contains(text, "docker"):
			t.Errorf("row of %s = %q, want the repository, PR and provider", s.env, text)
		}
	}
	html()
	shot("environments")

	// Filter without JavaScript semantics: the form is a plain GET.
	if err := chromedp.Do(bctx, chromedp.SetValue(chromedp.CSS(`select[name="repo"]`), "acme/api"),
		chromedp.Click(chromedp.CSS(`.filters button`)), chromedp.WaitNotPresent(chromedp.CSS(`tr[data-env="uiweb-pr-1"]`))); err != nil {
		t.Fatal(err)
	}
	n := count(`#envs tbody tr`)
	if n != 1 {
		t.Errorf("filtered to acme/api: %d rows, want 1", n)
	}

	// On a phone-sized screen nothing but the tables' own scroll regions is wider than the
	// screen, and keyboard focus reaches the filters first.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#envs"))); err != nil {
		t.Fatal(err)
	}
	if w, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); err != nil || w > 0 {
		t.Errorf("on a 390px screen the page is %dpx wider than the screen (%v)", w, err)
	}
	shot("environments-phone")
	if err := chromedp.Do(bctx, chromedp.ResetViewport()); err != nil {
		t.Fatal(err)
	}

	// One environment with its plan, artifacts and connect instructions.
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/envs/"+specs[0].env), chromedp.WaitVisible(chromedp.CSS("#jobtable"))); err != nil {
		t.Fatal(err)
	}
	if h := html(); !strings.Contains(h, "docker-compose.yml") || !strings.Contains(h, plan.ID) || !strings.Contains(h, deploys[0].ID) {
		t.Errorf("the environment page lacks the plan, its artifact or the jobs:\n%s", h)
	}
	shot("environment")

	// A running job's live log: lines arrive while the job runs, without a reload.
	slowJob := publish(jobs.KindDeploy, "slow", "uislow-pr-4", "acme/web", 4, sindriYAML, true)
	var live bool
	deadline := time.Now().Add(30 * time.Second)
	for !live && time.Now().Before(deadline) {
		if err := chromedp.Do(bctx, chromedp.Navigate(base+"/envs/uislow-pr-4")); err != nil {
			t.Fatal(err)
		}
		live = count("#loglines[data-live]") == 1
		if !live {
			time.Sleep(200 * time.Millisecond)
		}
	}
	if !live {
		t.Fatalf("the slow job's page never showed a live log\n%s", html())
	}
	before := count("#loglines li")
	if err := chromedp.Do(bctx, chromedp.WaitVisible(`//ol[@id="loglines"]/li[contains(., "creating machine uislow-pr-4")]`)); err != nil {
		t.Fatal(err)
	}
	ended, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("loglines").dataset.ended || ""`))
	if err != nil {
		t.Fatal(err)
	}
	if ended != "" {
		t.Fatalf("the line arrived only with the end of the job (%s)", ended)
	}
	if ev, ok := lastEvent(t, b, slowJob.ID); ok && ev.Type.Terminal() {
		t.Fatalf("the job had ended (%s) when its line appeared: not live", ev.Type)
	}
	shot("live-log")
	if err := chromedp.Do(bctx, chromedp.WaitReady(chromedp.CSS(`#loglines[data-ended="succeeded"]`)),
		chromedp.WaitVisible(`//ol[@id="loglines"]/li[contains(., "environment uislow-pr-4 is running")]`)); err != nil {
		t.Fatal(err)
	}
	after := count("#loglines li")
	if after <= before {
		t.Errorf("log lines: %d at load, %d at the end; want more arriving live", before, after)
	}
	t.Logf("live log: %d lines rendered at load, %d after streaming", before, after)
	if h := html(); !strings.Contains(h, "[redacted]") && !strings.Contains(h, "using token") {
		t.Errorf("the slow job's page lacks its (redacted) token line")
	}

	// The bus page.
	if err := chromedp.Do(bctx, chromedp.Navigate(base+"/bus"), chromedp.WaitVisible(chromedp.CSS("#streamtable"))); err != nil {
		t.Fatal(err)
	}
	if h := html(); !strings.Contains(h, "sindri-exec-docker") || !strings.Contains(h, "sindri-exec-slow") || !strings.Contains(h, events.EventsStream) {
		t.Errorf("the bus page lacks the consumers or streams")
	}
	shot("bus")

	// No page and no server-sent event shows the canary: every page of every environment, and
	// the replayed event streams of every job.
	for _, p := range pages {
		if strings.Contains(p, uiCanary) {
			t.Error("a page seen in the browser shows the canary")
		}
	}
	all := append(deploys, plan, slowJob)
	paths := []string{"/", "/bus"}
	for _, j := range all {
		paths = append(paths, "/envs/"+j.Env, "/envs/"+j.Env+"?job="+j.ID, "/envs/"+j.Env+"/jobs/"+j.ID+"/events")
	}
	for _, p := range paths {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body) // event streams end after the (already published) terminal event
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", p, resp.StatusCode, err)
		}
		if strings.Contains(string(body), uiCanary) {
			t.Errorf("GET %s shows the canary", p)
		}
	}
}

// lastEvent returns the newest stored event of jobID.
func lastEvent(t *testing.T, b *testBus, jobID string) (*events.Envelope, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	subj, _ := events.EventsSubject(jobID)
	st, err := b.js.Stream(ctx, events.EventsStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		return nil, false
	}
	ev, err := events.Decode(m.Data)
	return ev, err == nil
}
