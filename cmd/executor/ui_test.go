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
