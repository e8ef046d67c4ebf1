package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

const uiToken = "ui-token-7d1c0e9a4b2f"

func writeUIToken(t *testing.T, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ui.token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigUI(t *testing.T) {
	t.Parallel()
	good := writeUIToken(t, uiToken)
	short := writeUIToken(t, "short")
	hcl := filepath.Join(t.TempDir(), "executor.hcl")
	if err := os.WriteFile(hcl, []byte("ui {\n  listen = \"0.0.0.0:8088\"\n  token_file = \""+good+"\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		env       map[string]string
		wantErr   string
		wantToken string
	}{
		{name: "off by default"},
		{name: "loopback without token", env: map[string]string{"SINDRI_UI_LISTEN": "127.0.0.1:8088"}},
		{name: "all interfaces without token", env: map[string]string{"SINDRI_UI_LISTEN": ":8088"}, wantErr: "ui.listen :8088 is not a loopback address and ui.token_file is not set"},
		{name: "other address without token", args: []string{"-ui-listen", "0.0.0.0:8088"}, wantErr: "ui.token_file is not set"},
		{name: "other address with token", env: map[string]string{"SINDRI_UI_LISTEN": "0.0.0.0:8088", "SINDRI_UI_TOKEN_FILE": good}, wantToken: uiToken},
		{name: "file block", args: []string{"-config", hcl}, wantToken: uiToken},
		{name: "short token", env: map[string]string{"SINDRI_UI_LISTEN": "0.0.0.0:8088", "SINDRI_UI_TOKEN_FILE": short}, wantErr: "has 5 characters, want at least 16"},
		{name: "missing token file", env: map[string]string{"SINDRI_UI_TOKEN_FILE": filepath.Join(t.TempDir(), "none")}, wantErr: "ui.token_file"},
		{name: "bad address", env: map[string]string{"SINDRI_UI_LISTEN": "8088"}, wantErr: "ui.listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(tc.args, envMap(tc.env), io.Discard)
			if tc.wantErr != "" {
				if !errors.Is(err, errConfig) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a configuration error containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "short\n") || strings.Contains(err.Error(), uiToken) {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.UIToken != tc.wantToken {
				t.Errorf("token %q, want %q", c.UIToken, tc.wantToken)
			}
		})
	}
}

// TestRunServesUI starts the program with the web view on all interfaces: without the token
// it answers 401, with it (bearer or basic auth) the pages.
func TestRunServesUI(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	port := freePort(t)
	env := map[string]string{
		"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_DRAIN_TIMEOUT": "1s", "SINDRI_UI_LISTEN": "0.0.0.0:" + strconv.Itoa(port),
		"SINDRI_UI_TOKEN_FILE": writeUIToken(t, uiToken),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs lockedBuf
	go func() { done <- runWith(ctx, nil, envMap(env), &logs, []providers.Provider{providertest.NewFake()}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if strings.Contains(logs.String(), uiToken) {
			t.Error("the executor's logs show the web view's token")
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	get := func(path string, set func(*http.Request)) (int, string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			set(req)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v\n%s", path, err, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, path := range []string{"/", "/bus", "/envs/demo", "/static/live.js"} {
		if code, _ := get(path, func(*http.Request) {}); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, code)
		}
		if code, _ := get(path, func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong-token-000000") }); code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d, want 401", path, code)
		}
	}
	code, body := get("/bus", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+uiToken) })
	if code != http.StatusOK || !strings.Contains(body, "sindri-exec-fake") {
		t.Errorf("GET /bus with the token: %d, want 200 listing the executor's consumer\n%s", code, body)
	}
	code, body = get("/", func(r *http.Request) { r.SetBasicAuth("ops", uiToken) })
	if code != http.StatusOK || !strings.Contains(body, "Environments") {
		t.Errorf("GET / with basic auth: %d, want 200\n%s", code, body)
	}
}

// TestRunUIShowsCostAndIdleDeadline: an executor with cost.idle_stop and a price for its
// provider shows, after a deploy, the environment's cost so far at that price (not "unknown")
// and its idle deadline: the last activity its record keeps plus idle_stop.
func TestRunUIShowsCostAndIdleDeadline(t *testing.T) {
	t.Parallel()
	b := startTestBus(t)
	port := freePort(t)
	cfgFile := filepath.Join(t.TempDir(), "executor.hcl")
	if err := os.WriteFile(cfgFile, []byte("cost {\n  idle_stop = \"2h\"\n  price \"fake\" {\n    hourly = 0.9\n    stopped_hourly = 0.01\n  }\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0", "SINDRI_LOG_LEVEL": "warn",
		"SINDRI_DRAIN_TIMEOUT": "1s", "SINDRI_UI_LISTEN": "127.0.0.1:" + strconv.Itoa(port), "SINDRI_REAPER_INTERVAL": "1h",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs lockedBuf
	go func() {
		done <- runWith(ctx, []string{"-config", cfgFile}, envMap(env), &logs, []providers.Provider{providertest.NewFake()})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	const name = "pr-cost"
	j := makeJob(t, jobs.KindDeploy, name, b.bump(t, name, false))
	b.publish(t, j)
	if ev := b.terminal(t, j.ID, 30*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("deploy ended %s\n%s", ev.Type, logs.String())
	}
	rec, _, err := b.envs.Get(context.Background(), name)
	if err != nil || rec.LastActivity.IsZero() {
		t.Fatalf("record %+v (%v): want a last activity", rec, err)
	}
	// The listener was up before the executor took the job.
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	i := strings.Index(string(body), `<tr data-env="`+name+`">`)
	if resp.StatusCode != http.StatusOK || i < 0 {
		t.Fatalf("GET /: %d without a row of %s\n%s", resp.StatusCode, name, body)
	}
	row := string(body[i:])
	row = row[:strings.Index(row, "</tr>")]
	// Seconds after the deploy at 0.90/h: 0.00, priced (an unpriced provider says "unknown").
	deadline := rec.LastActivity.Add(2 * time.Hour).UTC().Format(time.RFC3339)
	for _, want := range []string{`class="cost">0.00 USD (0h0m running, 0h0m stopped)</td>`, `class="idle"><time datetime="` + deadline + `">in `} {
		if !strings.Contains(row, want) {
			t.Errorf("row of %s lacks %s:\n%s", name, want, row)
		}
	}
}

// TestUIIdleDeadline: the view's idle deadline is the idle pass's rule, and there is none
// when this executor stops nothing for idleness.
func TestUIIdleDeadline(t *testing.T) {
	t.Parallel()
	last := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	canStop := func(p string) bool { return p == "fake" }
	rules := executor.IdleRules{Idle: 2 * time.Hour, CanStop: canStop}
	running := &events.EnvRecord{Env: "a", Provider: "fake", State: providers.StateRunning, LastActivity: last}
	on := config{IdleStop: 2 * time.Hour, ReaperInterval: time.Minute}
	if got := uiIdleDeadline(on, rules)(running); !got.Equal(last.Add(2 * time.Hour)) {
		t.Errorf("running on a stoppable provider: deadline %v, want %v", got, last.Add(2*time.Hour))
	}
	for name, r := range map[string]*events.EnvRecord{
		"stopped":     {Env: "b", Provider: "fake", State: providers.StateStopped, LastActivity: last},
		"closed":      {Env: "c", Provider: "fake", State: providers.StateRunning, LastActivity: last, Closed: true},
		"cannot stop": {Env: "d", Provider: "docker", State: providers.StateRunning, LastActivity: last},
		"no activity": {Env: "e", Provider: "fake", State: providers.StateRunning},
		"no provider": {Env: "f", State: providers.StateRunning, LastActivity: last},
	} {
		if got := uiIdleDeadline(on, rules)(r); !got.IsZero() {
			t.Errorf("%s: deadline %v, want none", name, got)
		}
	}
	if uiIdleDeadline(config{IdleStop: 2 * time.Hour}, rules) != nil {
		t.Error("reaper off: the view has an idle deadline")
	}
	// Idle stop off on the executor: only a record's own (config or repository) idle time.
	off := uiIdleDeadline(config{ReaperInterval: time.Minute}, executor.IdleRules{CanStop: canStop})
	if got := off(running); !got.IsZero() {
		t.Errorf("idle stop off, record without its own: deadline %v, want none", got)
	}
	own := *running
	own.SetIdleAfter(30 * time.Minute)
	if got := off(&own); !got.Equal(last.Add(30 * time.Minute)) {
		t.Errorf("idle stop off, record's own 30m: deadline %v, want %v", got, last.Add(30*time.Minute))
	}
}
