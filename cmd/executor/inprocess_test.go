package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// inProcess is the whole program running in this test process (runWith), configured by env.
type inProcess struct {
	base   string // http://addr of the ops listener
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	lines  []string
	logsOK chan struct{}
}

// startRun runs the program with env (which must set SINDRI_METRICS_LISTEN) and extra
// providers, and returns once its ops listener is up. The test's cleanup stops it.
func startRun(t *testing.T, env map[string]string, extra ...providers.Provider) *inProcess {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	r := &inProcess{cancel: cancel, done: make(chan error, 1), logsOK: make(chan struct{})}
	go func() {
		r.done <- runWith(ctx, nil, func(k string) string { return env[k] }, pw, extra)
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		defer close(r.logsOK)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var l struct {
				Msg  string `json:"message"`
				Addr string `json:"addr"`
			}
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Errorf("log line is not JSON: %q", sc.Text())
			}
			if l.Msg == "metrics listening" {
				addr <- l.Addr
			}
			r.mu.Lock()
			r.lines = append(r.lines, sc.Text())
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.logsOK:
		case <-time.After(time.Minute):
			t.Errorf("the run did not return within a minute of its cancellation")
		}
	})
	select {
	case a := <-addr:
		r.base = "http://" + a
	case err := <-r.done:
		t.Fatalf("run returned early: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("no metrics listener within 60s")
	}
	return r
}

// waitUntil polls until ok or fails the test after a minute (instead of hanging the package
// until the go test timeout).
func (r *inProcess) waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
	}
}

// opsClient bounds each request, so that an ops endpoint that stops answering fails the test
// instead of hanging it.
var opsClient = &http.Client{Timeout: 10 * time.Second}

// get fetches path from the ops listener.
func (r *inProcess) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := opsClient.Get(r.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// stop cancels the run (a drain), checks that it returned nil, and returns its log.
func (r *inProcess) stop(t *testing.T) string {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("run after cancel: %v, want nil (drained)", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the run did not return within a minute of its cancellation")
	}
	<-r.logsOK
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}
