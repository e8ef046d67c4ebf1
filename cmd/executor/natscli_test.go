package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// byHandScript returns the bash block of docs/wire.md's "By hand" section, between its
// by-hand markers, without the code fence.
func byHandScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/wire.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- by-hand:begin -->")
	block, _, ok2 := strings.Cut(rest, "<!-- by-hand:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/wire.md has no by-hand:begin/end markers")
	}
	block = strings.TrimSpace(block)
	if !strings.HasPrefix(block, "```bash\n") || !strings.HasSuffix(block, "\n```") {
		t.Fatalf("the by-hand block is not one ```bash fence:\n%s", block)
	}
	return strings.TrimSuffix(strings.TrimPrefix(block, "```bash\n"), "\n```")
}

// natsCLI returns the stock NATS CLI: SINDRI_NATS_BIN, else scripts/tools.sh nats (built once).
func natsCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SINDRI_NATS_BIN"); p != "" {
		return p
	}
	out, err := exec.Command("../../scripts/tools.sh", "nats").Output()
	if err != nil {
		t.Fatalf("scripts/tools.sh nats: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestHeavyNATSCLIByHand runs docs/wire.md's "By hand" commands, exactly as the page shows
// them, with the stock NATS CLI against an executor: the listings show sindri's streams,
// consumer and buckets; the job published with nats pub runs; nats sub prints its events up to
// the terminal one; nats kv get prints the environment record the executor wrote.
func TestHeavyNATSCLIByHand(t *testing.T) {
	heavy(t)
	nats := natsCLI(t)
	b := startTestBus(t)
	r := startRun(t, map[string]string{
		"SINDRI_NATS_URL":       b.url,
		"SINDRI_PROVIDERS":      providertest.FakeName,
		"SINDRI_METRICS_LISTEN": "127.0.0.1:0",
	}, []providers.Provider{providertest.NewFake()}...)
	r.waitUntil(t, "/readyz answering 200", func() bool { code, _ := r.get(t, "/readyz"); return code == 200 })

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", byHandScript(t))
	cmd.Dir = dir
	// HOME and XDG_CONFIG_HOME: no nats context of this machine's user is picked up.
	cmd.Env = []string{"PATH=" + filepath.Dir(nats) + ":" + os.Getenv("PATH"), "HOME=" + dir,
		"XDG_CONFIG_HOME=" + dir, "NATS_URL=" + b.url, "PROVIDER=" + providertest.FakeName}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the by-hand commands failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, name := range []string{events.JobsStream, events.EventsStream, events.ExecutorConsumerPrefix + providertest.FakeName, events.EnvsBucket, events.LocksBucket} {
		if !strings.Contains(out, name) {
			t.Errorf("the listings do not show %s:\n%s", name, out)
		}
	}
	jobFile, err := os.ReadFile(filepath.Join(dir, "job.json"))
	if err != nil {
		t.Fatal(err)
	}
	var job struct{ ID string }
	if err := json.Unmarshal(jobFile, &job); err != nil {
		t.Fatalf("job.json: %v", err)
	}
	if ev := b.terminal(t, job.ID, 10*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("the hand-made job ended %s: %s", ev.Type, dataJSON(ev))
	}
	// The JSON lines: the job's events in order, then the environment record.
	var evs []events.Envelope
	var rec *events.EnvRecord
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var probe struct {
			SpecVersion string `json:"specversion"`
		}
		if err := json.Unmarshal([]byte(l), &probe); err != nil {
			t.Fatalf("a JSON line does not decode: %v: %s", err, l)
		}
		if probe.SpecVersion != "" {
			var ev events.Envelope
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("event line: %v: %s", err, l)
			}
			evs = append(evs, ev)
			continue
		}
		rec = &events.EnvRecord{}
		if err := json.Unmarshal([]byte(l), rec); err != nil {
			t.Fatalf("env record line: %v: %s", err, l)
		}
	}
	if len(evs) < 2 || evs[len(evs)-1].Type != events.TypeSucceeded {
		t.Fatalf("nats sub printed %d events, want them ending with %s:\n%s", len(evs), events.TypeSucceeded, out)
	}
	for i, ev := range evs {
		if ev.Subject != job.ID || ev.Seq != uint64(i+1) {
			t.Errorf("event %d: job %s seq %d, want job %s seq %d", i, ev.Subject, ev.Seq, job.ID, i+1)
		}
	}
	if rec == nil || rec.Env != "by-hand" || rec.State != providers.StateRunning || rec.LastJobID != job.ID {
		t.Errorf("nats kv get printed record %+v, want by-hand running after job %s", rec, job.ID)
	}
}
