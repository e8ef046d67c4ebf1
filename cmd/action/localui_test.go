package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/internal/testports"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// localStore leaves in a folder what a local run with SINDRI_LOCAL_STORE leaves: an env record
// and a finished job's events. It returns the folder and the job id.
func localStore(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	emb, err := events.StartEmbedded(ctx, events.EmbeddedOptions{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	nc, err := emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Setup(ctx, js, events.SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.New(jobs.KindDeploy, "demo", "docker")
	if err != nil {
		t.Fatal(err)
	}
	em, err := events.NewEmitter(events.NewPublisher(js), j.ID, "urn:sindri:executor:local", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []events.Data{
		&events.Accepted{Worker: "local", Attempt: 1, Kind: jobs.KindDeploy, Env: "demo", Provider: "docker", Trigger: "local.deploy", RequestedBy: "dev"},
		&events.Started{Worker: "local", Attempt: 1},
		&events.Log{Level: events.LevelInfo, Message: "container demo is running"},
		&events.Succeeded{Kind: jobs.KindDeploy, Env: "demo", Provider: "docker", URL: "http://127.0.0.1:18081/"},
	} {
		if _, err := em.Emit(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	envs, err := events.OpenEnvStore(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := envs.Update(ctx, "demo", func(r *events.EnvRecord, _ bool) error {
		r.Provider, r.State, r.URL, r.LastJobID, r.LastStatus = "docker", providers.StateRunning, "http://127.0.0.1:18081/", j.ID, jobs.StatusSucceeded
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return dir, j.ID
}

func TestLocalUIServesTheLocalStore(t *testing.T) {
	t.Parallel()
	store, jobID := localStore(t)
	port := testports.Free(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out bytes.Buffer
	go func() {
		done <- run(ctx, []string{"local", "ui", "-listen", "127.0.0.1:" + strconv.Itoa(port)},
			func(k string) string { return map[string]string{"SINDRI_LOCAL_STORE": store}[k] }, &out, io.Discard)
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/envs/demo")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if resp.StatusCode == http.StatusOK && strings.Contains(body, "container demo is running") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the local view never showed the job's log: %v\n%s", err, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{jobID, "local.deploy", "http://127.0.0.1:18081/", "state-running"} {
		if !strings.Contains(body, want) {
			t.Errorf("the environment page lacks %q", want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after interrupt, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("local ui did not stop after its context ended")
	}
	if !strings.Contains(out.String(), base+"/") {
		t.Errorf("stdout %q does not print the view's address", out.String())
	}
}

func TestLocalUIRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no store", []string{"local", "ui"}, "SINDRI_LOCAL_STORE"},
		{"not loopback", []string{"local", "ui", "-store", t.TempDir(), "-listen", "0.0.0.0:8089"}, "pass -token-file"},
		{"empty store", []string{"local", "ui", "-store", t.TempDir(), "-listen", "127.0.0.1:0"}, "holds no JetStream data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), tc.args, func(string) string { return "" }, io.Discard, &stderr)
			if code == 0 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want non-zero and %q", code, stderr.String(), tc.want)
			}
		})
	}
}
