package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// TestPlanExecutorRate: a plan job for kubernetes on an executor whose executor.hcl prices it
// (cost { price "kubernetes" { .. } }) reports that rate, with the executor as its basis; an
// executor without the price block reports it unknown, never a made-up number.
func TestPlanExecutorRate(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile(filepath.Join("..", "..", "testdata", "shared", "fixtures", "guide-examples", "kubernetes.sindri.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]string{
		"priced":   "cost {\n  price \"kubernetes\" {\n    hourly         = 0.4\n    stopped_hourly = 0.01\n  }\n}\n",
		"unpriced": "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := startTestBus(t)
			cfgFile := filepath.Join(t.TempDir(), "executor.hcl")
			if err := os.WriteFile(cfgFile, []byte(block), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"SINDRI_NATS_URL": b.url, "SINDRI_PROVIDERS": "kubernetes", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
				"SINDRI_LOG_LEVEL": "warn", "KUBECONFIG": filepath.Join(t.TempDir(), "none"), "HOME": t.TempDir()}
			out := runExecutorFile(t, cfgFile, env)

			j, err := jobs.New(jobs.KindPlan, "plan-rate", "kubernetes")
			if err != nil {
				t.Fatal(err)
			}
			j.Generation, j.Repo = b.bump(t, "plan-rate", false), "sindri/demo"
			j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: string(text)}
			b.publish(t, j)
			ev := b.terminal(t, j.ID, 30*time.Second)
			s, ok := ev.Data.(*events.Succeeded)
			if !ok || s.Plan == nil || s.Plan.EstimatedCost == nil {
				t.Fatalf("plan ended %s %+v, want succeeded with an estimate\n%s", ev.Type, ev.Data, out.String())
			}
			e := s.Plan.EstimatedCost
			if name == "unpriced" {
				if e.Hourly != nil || e.StoppedHourly != nil {
					t.Fatalf("unpriced kubernetes estimate = %+v, want unknown", e)
				}
				return
			}
			if e.Hourly == nil || *e.Hourly != 0.4 || e.StoppedHourly == nil || *e.StoppedHourly != 0.01 || e.Basis != cost.BasisExecutor {
				t.Fatalf("priced kubernetes estimate = %+v, want 0.4/h running, 0.01/h stopped, basis %q", e, cost.BasisExecutor)
			}
		})
	}
}

// runExecutorFile runs the executor with executor.hcl cfgFile and the environment env until
// the test ends, and returns its output.
func runExecutorFile(t *testing.T, cfgFile string, env map[string]string) *lockedBuf {
	t.Helper()
	out := &lockedBuf{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, []string{"-config", cfgFile}, func(k string) string { return env[k] }, out, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return out
}
