package e2btest_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers/e2b/e2btest"
)

func frame(msg string) []byte {
	b := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(b[1:], uint32(len(msg)))
	return append(b, msg...)
}

const echoHi = `{"process":{"cmd":"/bin/bash","args":["-l","-c","echo hi"]}}`

// TestEnvdStreamError: Fake.EnvdStreamError ends the next stream with that Connect error
// after the start event, once.
func TestEnvdStreamError(t *testing.T) {
	t.Parallel()
	f := e2btest.New(t, "e2b_k")
	id := f.Put(e2btest.Sandbox{EnvdVersion: "0.5.1"})
	f.Lock(func(f *e2btest.Fake) { f.EnvdStreamError = "unavailable" })
	for i, want := range []string{`"start":{"pid":`, `"stdout":"aGkK"`} {
		req, err := http.NewRequest(http.MethodPost, f.URL()+e2btest.EnvdPath, bytes.NewReader(frame(echoHi)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/connect+json")
		req.Header.Set("E2b-Sandbox-Id", id)
		req.Header.Set("E2b-Sandbox-Port", "49983")
		resp, err := f.API.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if failed := strings.Contains(string(body), `"code":"unavailable"`); !strings.Contains(string(body), want) || failed != (i == 0) {
			t.Errorf("request %d: %q, want %q and the error on the first only", i+1, body, want)
		}
	}
}

// TestEnvdRefusals sends raw requests to the fake's envd and checks each refusal's status
// and body against envd's and the proxy's, and the end events of an exit and a signal.
func TestEnvdRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		sb         e2btest.Sandbox
		header     map[string]string
		body       string
		status     int
		inBody     string
		violations bool
	}{
		{"ok", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, nil, echoHi, 200, `"stdout":"aGkK"`, false},
		{"missing token", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, map[string]string{"X-Access-Token": ""}, echoHi, 401, "unauthorized access", false},
		{"wrong token", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, map[string]string{"X-Access-Token": "nope"}, echoHi, 401, "unauthorized access", false},
		{"not secure needs none", e2btest.Sandbox{EnvdVersion: "0.5.1"}, map[string]string{"X-Access-Token": ""}, echoHi, 200, `"end"`, false},
		{"content type", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, map[string]string{"Content-Type": "application/json"}, echoHi, 415, "", false},
		{"unknown field", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, nil, `{"process":{"cmd":"/bin/bash","args":[]},"user":"x"}`, 200, `"code":"invalid_argument"`, true},
		{"stdin before 0.3.0", e2btest.Sandbox{Secure: true, EnvdVersion: "0.2.4"}, map[string]string{"Authorization": "Basic dXNlcjo="}, `{"process":{"cmd":"/bin/bash","args":["-l","-c","echo hi"]},"stdin":false}`, 200, `unknown field \"stdin\"`, true},
		{"no user before 0.4.0", e2btest.Sandbox{Secure: true, EnvdVersion: "0.2.4"}, nil, echoHi, 200, `"code":"unauthenticated","message":"no user specified"`, false},
		{"paused", e2btest.Sandbox{Secure: true, State: "paused", EnvdVersion: "0.5.1"}, nil, echoHi, 502, "not found", false},
		{"paused with autoResume is resumed", e2btest.Sandbox{Secure: true, State: "paused", AutoResume: true, EnvdVersion: "0.5.1"}, nil, echoHi, 200, `"stdout":"aGkK"`, false},
		{"unknown sandbox", e2btest.Sandbox{}, map[string]string{"E2b-Sandbox-Id": "inosuch"}, echoHi, 502, "not found", false},
		{"non-zero exit", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, nil, `{"process":{"cmd":"/bin/bash","args":["-l","-c","exit 3"]}}`, 200,
			`"end":{"error":"exit status 3","exitCode":3,"exited":true,"status":"exit status 3"}`, false},
		{"killed by a signal", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, nil, `{"process":{"cmd":"/bin/bash","args":["-l","-c","sh -c 'kill -9 $$'"]}}`, 200,
			`"end":{"error":"signal: killed","exitCode":-1,"status":"signal: killed"}`, false},
		{"other script", e2btest.Sandbox{Secure: true, EnvdVersion: "0.5.1"}, nil, `{"process":{"cmd":"/bin/bash","args":["-l","-c","sh -c 'rm -rf /'"]}}`, 200,
			`"exitCode":2,"exited":true`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := e2btest.New(t, "e2b_k", apifake.CollectViolations())
			id := f.Put(tc.sb)
			req, err := http.NewRequest(http.MethodPost, f.URL()+e2btest.EnvdPath, bytes.NewReader(frame(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			h := map[string]string{"Content-Type": "application/connect+json", "E2b-Sandbox-Id": id, "E2b-Sandbox-Port": "49983",
				"X-Access-Token": "envd-token-" + id}
			for k, v := range tc.header {
				h[k] = v
			}
			for k, v := range h {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			resp, err := f.API.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.inBody) {
				t.Errorf("HTTP %d %q, want %d holding %q", resp.StatusCode, body, tc.status, tc.inBody)
			}
			if got := len(f.API.Violations()) > 0; got != tc.violations {
				t.Errorf("violations %q, want some: %t", f.API.Violations(), tc.violations)
			}
		})
	}
}
