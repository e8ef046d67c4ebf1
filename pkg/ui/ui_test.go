package ui_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/events/eventstest"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/ui"
)

// canary stands for a secret that reached a provider handle (which the view must not show).
const canary = "ui-canary-5e1f0c-do-not-show"

type fixture struct {
	js   jetstream.JetStream
	envs *events.EnvStore
	pub  *events.Publisher
	view *ui.Server
	http *httptest.Server
}

// newFixture starts an embedded bus and a view over it; with changes opts before New.
func newFixture(t *testing.T, with ...func(*ui.Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	_, _, js := eventstest.Start(t, events.EmbeddedOptions{StoreDir: t.TempDir()}, true)
	envs, err := events.OpenEnvStore(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	opts := ui.Options{Title: "test", Self: func() error { return nil }, SelfName: "exec-test",
		OnError: func(err error) { t.Logf("view: %v", err) }}
	for _, w := range with {
		w(&opts)
	}
	view, err := ui.New(ctx, js, opts)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- view.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	srv := httptest.NewServer(view)
	t.Cleanup(srv.Close)
	return &fixture{js: js, envs: envs, pub: events.NewPublisher(js), view: view, http: srv}
}

func (f *fixture) putEnv(t *testing.T, rec events.EnvRecord) {
	t.Helper()
	if _, _, err := f.envs.Update(context.Background(), rec.Env, func(r *events.EnvRecord, _ bool) error {
		*r = rec
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// job emits data as the events of a new job and returns the job id and its emitter.
func (f *fixture) job(t *testing.T, data ...events.Data) (string, *events.Emitter) {
	t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	em, err := events.NewEmitter(f.pub, id, "urn:sindri:executor:test-host", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.emit(t, em, data...)
	return id, em
}

func (f *fixture) emit(t *testing.T, em *events.Emitter, data ...events.Data) {
	t.Helper()
	for _, d := range data {
		if _, err := em.Emit(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
}

// get fetches path and returns the body, failing unless the status is want.
func (f *fixture) get(t *testing.T, path string, want int) string {
	t.Helper()
	resp, err := http.Get(f.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, resp.StatusCode, want, b)
	}
	if strings.Contains(string(b), canary) {
		t.Errorf("GET %s shows the canary secret", path)
	}
	return string(b)
}

// eventually retries check until it returns "" (the index follows the stream asynchronously).
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustContain(body string, wants ...string) string {
	for _, w := range wants {
		if !strings.Contains(body, w) {
			return "missing " + w
		}
	}
	return ""
}

func TestPagesShowEnvironmentsJobsAndBus(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	plan := &providers.Plan{Provider: "docker", Calls: []string{"POST /containers/create"},
		Artifacts: map[string]string{"docker-compose.yml": "services:\n  app:\n    image: sindri-test/hello:1\n"}}
	deployID, _ := f.job(t,
		&events.Accepted{Worker: "exec-a", Attempt: 1, Kind: jobs.KindDeploy, Env: "web-pr-7", Provider: "docker", Generation: 1,
			Trigger: "pull_request.opened", RequestedBy: "octocat"},
		&events.Started{Worker: "exec-a", Attempt: 1},
		&events.Log{Level: events.LevelInfo, Message: "pulling image <b>hello</b>"},
		&events.Succeeded{Kind: jobs.KindDeploy, Env: "web-pr-7", Provider: "docker", Generation: 1, DurationMS: 4200,
			URL: "http://127.0.0.1:18080/", Deployment: &providers.Deployment{Env: "web-pr-7", Provider: "docker",
				Handle: "docker/v2:" + canary, Connection: &providers.Connection{ExecCommand: "docker exec -it web-pr-7 sh"}}})
	planID, _ := f.job(t,
		&events.Accepted{Worker: "exec-a", Attempt: 1, Kind: jobs.KindPlan, Env: "web-pr-7", Provider: "docker"},
		&events.Started{Worker: "exec-a", Attempt: 1},
		&events.Succeeded{Kind: jobs.KindPlan, Env: "web-pr-7", Provider: "docker", Plan: plan, DurationMS: 10})
	failID, _ := f.job(t,
		&events.Accepted{Worker: "exec-b", Attempt: 1, Kind: jobs.KindDeploy, Env: "api-pr-9", Provider: "fly", Generation: 2,
			Trigger: "issue_comment.created", RequestedBy: "hubot"},
		&events.Started{Worker: "exec-b", Attempt: 1},
		&events.Failed{Code: events.FailProvider, Message: "fly: create machine: quota exceeded", Attempt: 1})
	f.putEnv(t, events.EnvRecord{Env: "web-pr-7", Provider: "docker", Repo: "acme/web", PR: 7, State: providers.StateRunning,
		URL: "http://127.0.0.1:18080/", Handle: "docker/v2:" + canary, LastJobID: deployID, LastStatus: jobs.StatusSucceeded,
		ExpiresAt: now.Add(48 * time.Hour)})
	f.putEnv(t, events.EnvRecord{Env: "api-pr-9", Provider: "fly", Repo: "acme/api", PR: 9, State: providers.StateError,
		LastJobID: failID, LastStatus: jobs.StatusFailed})
	leases, err := events.OpenLeases(ctx, f.js)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leases.Acquire(ctx, "web-pr-7", "exec-a/worker-1", time.Minute); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.New(jobs.KindDeploy, "queued-env", "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	j.Generation, j.Repo = 1, "acme/web"
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: "version: \"3.0\"\nname: q\n"}
	if _, err := f.pub.PublishJob(ctx, j, j.IdempotencyKey("test")); err != nil {
		t.Fatal(err)
	}

	t.Run("environments", func(t *testing.T) {
		body := f.get(t, "/", http.StatusOK)
		if msg := mustContain(body, `href="/envs/web-pr-7"`, `href="/envs/api-pr-9"`,
			`href="https://github.com/acme/web/pull/7"`, `<a href="http://127.0.0.1:18080/">`,
			`state-running`, `state-error`, `class="cost">—`, `class="idle">—`, "never",
			">deploy</a> <span class=\"status status-failed\">failed"); msg != "" {
			t.Fatalf("%s in\n%s", msg, body)
		}
		// The TTL deadline is 48h after the record was written, less the time since.
		if !strings.Contains(body, "in 47h") && !strings.Contains(body, "in 48h") {
			t.Fatalf("no TTL deadline in 47h or 48h in\n%s", body)
		}
	})
	t.Run("filter and sort", func(t *testing.T) {
		body := f.get(t, "/?provider=fly", http.StatusOK)
		if strings.Contains(body, `href="/envs/web-pr-7"`) || !strings.Contains(body, `href="/envs/api-pr-9"`) {
			t.Errorf("provider=fly shows the wrong rows:\n%s", body)
		}
		body = f.get(t, "/?state=running&repo=acme/web", http.StatusOK)
		if !strings.Contains(body, `href="/envs/web-pr-7"`) || strings.Contains(body, `href="/envs/api-pr-9"`) {
			t.Errorf("state=running shows the wrong rows:\n%s", body)
		}
		for sortKey, first := range map[string]string{"env": "api-pr-9", "provider": "web-pr-7", "expires": "web-pr-7", "-age": "web-pr-7", "repo": "api-pr-9"} {
			body := f.get(t, "/?sort="+sortKey, http.StatusOK)
			a, w := strings.Index(body, `data-env="api-pr-9"`), strings.Index(body, `data-env="web-pr-7"`)
			if got := map[bool]string{true: "api-pr-9", false: "web-pr-7"}[a < w]; got != first {
				t.Errorf("sort=%s puts %s first, want %s", sortKey, got, first)
			}
		}
	})
	t.Run("one environment", func(t *testing.T) {
		eventually(t, "env page", func() string {
			body := f.get(t, "/envs/web-pr-7?job="+deployID, http.StatusOK)
			return mustContain(body, deployID, planID, "pull_request.opened", "octocat", "4.2s",
				"pulling image &lt;b&gt;hello&lt;/b&gt;", "docker exec -it web-pr-7 sh", "docker-compose.yml",
				"image: sindri-test/hello:1", "POST /containers/create")
		})
		body := f.get(t, "/envs/api-pr-9?job="+failID, http.StatusOK)
		if msg := mustContain(body, "issue_comment.created", "hubot", "quota exceeded", "status-failed"); msg != "" {
			t.Errorf("%s in\n%s", msg, body)
		}
		f.get(t, "/envs/nope", http.StatusNotFound)
		f.get(t, "/envs/api-pr-9?job="+deployID, http.StatusNotFound)
	})
	t.Run("bus", func(t *testing.T) {
		body := f.get(t, "/bus", http.StatusOK)
		if msg := mustContain(body, events.JobsStream, events.EventsStream, "exec-a/worker-1", "web-pr-7",
			"exec-a", "exec-b", "exec-test: <span class=\"status status-succeeded\">ready", "<th scope=\"row\">kubernetes</th><td>1</td>"); msg != "" {
			t.Errorf("%s in\n%s", msg, body)
		}
	})
}

// TestEnvironmentsShowCostSoFarAndIdleDeadline: the cost so far comes from the env record's
// usage at the view's clock (running and stopped time at their rates, or "unknown" when a
// rate is), and the idle deadline from Options.IdleDeadline of the record; a record with
// neither shows "—".
func TestEnvironmentsShowCostSoFarAndIdleDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var asked []string
	var mu sync.Mutex
	f := newFixture(t, func(o *ui.Options) {
		o.Now = func() time.Time { return now }
		o.IdleDeadline = func(r *events.EnvRecord) time.Time {
			mu.Lock()
			asked = append(asked, r.Env)
			mu.Unlock()
			if r.LastActivity.IsZero() {
				return time.Time{}
			}
			return r.LastActivity.Add(2 * time.Hour)
		}
	})
	rate := func(f float64) *float64 { return &f }
	// 2h before since plus 30 min running since: 2.5 h at 0.50 = 1.25; 10 h stopped at 0.002 = 0.02.
	f.putEnv(t, events.EnvRecord{Env: "gpu-pr-4", Provider: "runpod", Repo: "acme/ml", PR: 4, State: providers.StateRunning,
		LastActivity: now.Add(-45 * time.Minute), Usage: &cost.Usage{RunningSeconds: 7200, StoppedSeconds: 36000,
			Phase: cost.PhaseRunning, Since: now.Add(-30 * time.Minute), Hourly: rate(0.5), StoppedHourly: rate(0.002), Currency: "USD"}})
	// No running rate: the time is known, the amount is not.
	f.putEnv(t, events.EnvRecord{Env: "kube-pr-5", Provider: "kubernetes", Repo: "acme/ml", PR: 5, State: providers.StateStopped,
		Usage: &cost.Usage{RunningSeconds: 600, Phase: cost.PhaseStopped, Since: now.Add(-5 * time.Minute), StoppedHourly: rate(0)}})
	f.putEnv(t, events.EnvRecord{Env: "old-pr-6", Provider: "docker", Repo: "acme/ml", PR: 6, State: providers.StateRunning})

	body := f.get(t, "/", http.StatusOK)
	row := func(env string) string {
		i := strings.Index(body, `<tr data-env="`+env+`">`)
		if i < 0 {
			t.Fatalf("no row of %s in\n%s", env, body)
		}
		r := body[i:]
		return r[:strings.Index(r, "</tr>")]
	}
	for env, wants := range map[string][]string{
		"gpu-pr-4": {`class="cost">1.27 USD (2h30m running, 10h0m stopped)</td>`,
			`class="idle"><time datetime="2026-12-06T13:15:00Z">in 1h15m</time></td>`},
		"kube-pr-5": {`class="cost">unknown (0h10m running, 0h5m stopped)</td>`, `class="idle">—</td>`},
		"old-pr-6":  {`class="cost">—</td>`, `class="idle">—</td>`},
	} {
		if msg := mustContain(row(env), wants...); msg != "" {
			t.Errorf("row of %s: %s in\n%s", env, msg, row(env))
		}
	}
	body = f.get(t, "/envs/gpu-pr-4", http.StatusOK)
	if msg := mustContain(body, `<dd class="cost">1.27 USD (2h30m running, 10h0m stopped)</dd>`,
		`<dd class="idle">2026-12-06 13:15:00Z</dd>`); msg != "" {
		t.Errorf("environment page: %s in\n%s", msg, body)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, env := range []string{"gpu-pr-4", "kube-pr-5", "old-pr-6"} {
		if !slices.Contains(asked, env) {
			t.Errorf("Options.IdleDeadline was not asked about %s (asked %v)", env, asked)
		}
	}
}

// TestLiveLogStreamsLinesAsTheyHappen reads the server-sent events of a running job: each line
// arrives after it is emitted and before the next one is, and the terminal event ends the
// stream.
func TestLiveLogStreamsLinesAsTheyHappen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id, em := f.job(t,
		&events.Accepted{Worker: "exec-a", Attempt: 1, Kind: jobs.KindDeploy, Env: "live", Provider: "docker", Generation: 1},
		&events.Started{Worker: "exec-a", Attempt: 1},
		&events.Log{Level: events.LevelInfo, Message: "line 1"})
	f.putEnv(t, events.EnvRecord{Env: "live", Provider: "docker", State: providers.StateCreating, LastJobID: id})
	var page string
	eventually(t, "running job page", func() string {
		page = f.get(t, "/envs/live", http.StatusOK)
		return mustContain(page, "line 1", "data-live=")
	})
	if !strings.Contains(page, `data-live="/envs/live/jobs/`+id+`/events?after=3"`) {
		t.Fatalf("the page does not continue the live log after its last event:\n%s", page)
	}
	resp, err := http.Get(f.http.URL + "/envs/live/jobs/" + id + "/events?after=3")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func(prefix string) string {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended waiting for %q", prefix)
				}
				if strings.Contains(l, canary) {
					t.Fatal("a server-sent event carries the canary")
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-timeout:
				t.Fatalf("no %q within 10s", prefix)
			}
		}
	}
	for i := 2; i <= 4; i++ {
		msg := "line " + string(rune('0'+i))
		f.emit(t, em, &events.Log{Level: events.LevelInfo, Message: msg})
		if l := next("data: "); !strings.Contains(l, `"message":"`+msg+`"`) {
			t.Fatalf("event %q, want %s", l, msg)
		}
	}
	f.emit(t, em, &events.Progress{Step: "start", Done: 3, Total: 3})
	if l := next("data: "); !strings.Contains(l, "step 3/3: start") {
		t.Fatalf("progress event %q", l)
	}
	f.emit(t, em, &events.Succeeded{Kind: jobs.KindDeploy, Env: "live", Provider: "docker", Generation: 1,
		Deployment: &providers.Deployment{Handle: canary}})
	if l := next("event: "); l != "event: end" {
		t.Fatalf("event %q, want end", l)
	}
	if l := next("data: "); !strings.Contains(l, `"status":"succeeded"`) {
		t.Fatalf("end data %q", l)
	}
	select {
	case _, ok := <-lines:
		for ok {
			_, ok = <-lines
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stays open after the terminal event")
	}
	f.get(t, "/envs/live/jobs/"+uuid.Must(uuid.NewV7()).String()+"/events", http.StatusNotFound)
}

// TestPagesSayWhileTheHistoryIsRead: before the events index has read the stream, pages say
// their job lists may be incomplete; once it has, they do not.
func TestPagesSayWhileTheHistoryIsRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, _, js := eventstest.Start(t, events.EmbeddedOptions{StoreDir: t.TempDir()}, true)
	view, err := ui.New(ctx, js, ui.Options{})
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		w := httptest.NewRecorder()
		view.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		return w.Body.String()
	}
	if !strings.Contains(get(), "Still reading the event history") {
		t.Error("before Run, the page does not say the history is being read")
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- view.Run(rctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "index caught up", func() string {
		if strings.Contains(get(), "Still reading") {
			return "still reading"
		}
		return ""
	})
}

func TestRequireToken(t *testing.T) {
	t.Parallel()
	h := ui.RequireToken("s3cret-token", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	for _, tc := range []struct {
		name string
		set  func(r *http.Request)
		want int
	}{
		{"none", func(*http.Request) {}, http.StatusUnauthorized},
		{"wrong bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, http.StatusUnauthorized},
		{"empty bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") }, http.StatusUnauthorized},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret-token") }, http.StatusOK},
		{"basic", func(r *http.Request) { r.SetBasicAuth("ops", "s3cret-token") }, http.StatusOK},
		{"wrong basic", func(r *http.Request) { r.SetBasicAuth("s3cret-token", "x") }, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			tc.set(r)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == http.StatusUnauthorized && (w.Header().Get("WWW-Authenticate") == "" || strings.Contains(w.Body.String(), "s3cret")) {
				t.Errorf("401 without a challenge, or naming the token: %q", w.Body.String())
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true, "127.1.2.3:9": true,
		":8080": false, "0.0.0.0:8080": false, "192.0.2.1:80": false, "[::]:80": false, "example.com:80": false, "nonsense": false,
	} {
		if got := ui.Loopback(addr); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
