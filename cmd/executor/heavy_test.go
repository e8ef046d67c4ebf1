package main

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// Heavy tests start executor subprocesses, restart servers and run a 3-node cluster. Run them
// with: SINDRI_HEAVY=1 go test -run Heavy -v ./cmd/executor
func heavy(t *testing.T) {
	t.Helper()
	if os.Getenv("SINDRI_HEAVY") != "1" && os.Getenv("SINDRI_CHAOS") != "1" {
		t.Skip("set SINDRI_HEAVY=1 to run subprocess, restart and cluster tests")
	}
}

// waitDeployStarted waits until the shared fake log shows a deploy of env by pid.
func waitDeployStarted(t *testing.T, dir, env string, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ivs, err := providertest.ReadIntervals(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, iv := range ivs {
			if iv.Env == env && iv.Op == providertest.OpDeploy && iv.PID == pid {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no deploy of %s by pid %d", env, pid)
}

// waitEnvSaved waits until the shared fake's state holds env.
func waitEnvSaved(t *testing.T, dir, env string) {
	t.Helper()
	f := providertest.NewFake(providertest.WithDir(dir))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok, err := f.Env(env); err != nil {
			t.Fatal(err)
		} else if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the fake never saved %s", env)
}

func TestHeavySIGKILLMidJobIsFinishedByAnotherExecutor(t *testing.T) {
	heavy(t)
	b := startTestBus(t)
	dir := t.TempDir()
	a := startProc(t, b.url, dir, "SINDRI_FAKE_STEP_DELAY=1500ms")
	j := makeJob(t, jobs.KindDeploy, "killed", b.bump(t, "killed", false))
	b.publish(t, j)
	waitDeployStarted(t, dir, "killed", a.cmd.Process.Pid)
	// The fake logs the deploy before it saves its first resource: kill only once that exists,
	// inside the step delay that follows, so the kill always leaves a half-made environment.
	waitEnvSaved(t, dir, "killed")
	killedAt := a.kill(t)
	if st, ok, _ := providertest.NewFake(providertest.WithDir(dir)).Env("killed"); !ok || st.State == providers.StateRunning {
		t.Fatalf("expected a half-made environment after the kill, got %+v (exists %v)", st, ok)
	}
	startProc(t, b.url, dir)
	ev := b.terminal(t, j.ID, 60*time.Second)
	if ev.Type != events.TypeSucceeded {
		t.Fatalf("job ended %s: %s", ev.Type, dataJSON(ev))
	}
	envs, err := providertest.NewFake(providertest.WithDir(dir)).Envs()
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) != 1 || envs[0].State != providers.StateRunning || envs[0].Generation != j.Generation {
		t.Fatalf("environments = %+v, want exactly one running at generation %d", envs, j.Generation)
	}
	ivs, err := providertest.ReadIntervals(dir)
	if err != nil {
		t.Fatal(err)
	}
	closeKilled := func(iv providertest.Interval) time.Time {
		if iv.PID == a.cmd.Process.Pid {
			return killedAt
		}
		return time.Now()
	}
	if o := providertest.FindOverlaps(ivs, closeKilled); len(o) > 0 {
		t.Fatalf("overlapping operations: %v", o)
	}
	t.Logf("operations: %d (killed executor pid %d)", len(ivs), a.cmd.Process.Pid)
}

func TestHeavySIGTERMDrainsWithinBound(t *testing.T) {
	heavy(t)
	b := startTestBus(t)
	dir := t.TempDir()
	const drain = 1 * time.Second
	a := startProc(t, b.url, dir, "SINDRI_FAKE_STEP_DELAY=10m", "SINDRI_DRAIN_TIMEOUT="+drain.String())
	j := makeJob(t, jobs.KindDeploy, "drained", b.bump(t, "drained", false))
	b.publish(t, j)
	waitDeployStarted(t, dir, "drained", a.cmd.Process.Pid)
	termAt := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The bound is drain_timeout plus the executor's fixed grace (5 s) for a provider that
	// ignores cancellation; slack on top for a loaded CI machine. A process that waited for its
	// 20-minute deploy (two 10-minute steps) would miss it by far.
	select {
	case err := <-a.done:
		a.done <- err
		if err != nil {
			t.Fatalf("executor exited with %v after SIGTERM, want 0", err)
		}
		t.Logf("exited %s after SIGTERM (drain_timeout %s)", time.Since(termAt).Round(10*time.Millisecond), drain)
	case <-time.After(drain + 15*time.Second):
		t.Fatal("executor did not exit after SIGTERM within the drain bound")
	}
	if _, ok, _ := providertest.NewFake(providertest.WithDir(dir)).Env("drained"); ok {
		t.Fatal("the handed-back deploy left a half-made environment")
	}
	startProc(t, b.url, dir)
	ev := b.terminal(t, j.ID, 60*time.Second)
	if ev.Type != events.TypeSucceeded {
		t.Fatalf("job ended %s: %s", ev.Type, dataJSON(ev))
	}
	sawShutdown := false
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for e, err := range events.Follow(ctx, b.js, j.ID) {
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := e.Data.(*events.Retrying); ok && r.Reason == events.RetryShutdown {
			sawShutdown = true
		}
	}
	if !sawShutdown {
		t.Error("no retrying(shutdown) event for the handed-back job")
	}
}

// runLoad publishes n deploy jobs over envs environments (each with its own bump) and returns
// them in publish order; between publishes it calls mid once, after half of them.
func runLoad(t *testing.T, b *testBus, n, envs int, mid func()) []*jobs.Job {
	t.Helper()
	var out []*jobs.Job
	for i := 0; i < n; i++ {
		if i == n/2 && mid != nil {
			mid()
		}
		env := fmt.Sprintf("load-%02d", i%envs)
		j := makeJob(t, jobs.KindDeploy, env, b.bump(t, env, false))
		b.publish(t, j)
		out = append(out, j)
	}
	return out
}

// checkLoad waits for every job's terminal event and checks that each env's newest job
// succeeded; it returns the count per terminal type.
func checkLoad(t *testing.T, b *testBus, js []*jobs.Job) map[events.Type]int {
	t.Helper()
	counts := map[events.Type]int{}
	newest := map[string]*jobs.Job{}
	for _, j := range js {
		newest[j.Env] = j
	}
	for _, j := range js {
		ev := b.terminal(t, j.ID, 90*time.Second)
		counts[ev.Type]++
		switch {
		case newest[j.Env] == j && ev.Type != events.TypeSucceeded:
			t.Errorf("newest job of %s ended %s: %s", j.Env, ev.Type, dataJSON(ev))
		case ev.Type != events.TypeSucceeded && ev.Type != events.TypeSuperseded:
			t.Errorf("job %s ended %s: %s", j.ID, ev.Type, dataJSON(ev))
		}
	}
	return counts
}

func TestHeavyServerRestartLosesNoJob(t *testing.T) {
	heavy(t)
	b := startTestBus(t)
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		startProc(t, b.url, dir, "SINDRI_FAKE_STEP_DELAY=20ms")
	}
	js := runLoad(t, b, 100, 20, func() {
		if err := b.emb.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	counts := checkLoad(t, b, js)
	fake := providertest.NewFake(providertest.WithDir(dir))
	envs, err := fake.Envs()
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) != 20 {
		t.Errorf("environments = %d, want 20", len(envs))
	}
	ivs, _ := providertest.ReadIntervals(dir)
	if o := providertest.FindOverlaps(ivs, nil); len(o) > 0 {
		t.Errorf("overlaps: %v", o)
	}
	t.Logf("terminal events: %v; operations: %d", counts, len(ivs))
}

func TestHeavyClusterStreamLeaderKilled(t *testing.T) {
	heavy(t)
	ctx := context.Background()
	cl, err := events.StartCluster(ctx, events.ClusterOptions{BaseDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	b := &testBus{}
	b.connect(t, cl.URLs())
	retry(t, "setup R3", func(ctx context.Context) error {
		return events.Setup(ctx, b.js, events.SetupOptions{Replicas: 3})
	})
	b.openEnvs(t)
	fake := providertest.NewFake(providertest.WithStepDelay(10 * time.Millisecond))
	urls := ""
	for i, u := range cl.URLs() {
		if i > 0 {
			urls += ","
		}
		urls += u
	}
	for i := 0; i < 2; i++ {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		env := map[string]string{"SINDRI_NATS_URL": urls, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
			"SINDRI_LEASE_TTL": "2s", "SINDRI_ACK_WAIT": "3s", "SINDRI_LOG_LEVEL": "warn"}
		go func() {
			done <- runWith(rctx, nil, func(k string) string { return env[k] }, os.Stderr, []providers.Provider{fake})
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	js := runLoad(t, b, 100, 20, func() {
		for _, n := range cl.Nodes {
			if s := n.Server(); s != nil && s.JetStreamIsStreamLeader(jetstreamAccount, events.JobsStream) {
				t.Logf("shutting down %s, leader of %s", s.Name(), events.JobsStream)
				n.Shutdown()
				return
			}
		}
		t.Fatal("no leader of SINDRI_JOBS found")
	})
	counts := checkLoad(t, b, js)
	if o := fake.Overlaps(); len(o) > 0 {
		t.Errorf("overlaps: %v", o)
	}
	t.Logf("terminal events: %v; operations: %d", counts, len(fake.Intervals()))
}

// jetstreamAccount is the default account of servers without accounts configured.
const jetstreamAccount = "$G"
