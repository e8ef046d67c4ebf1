package executor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

const waitEvents = 20 * time.Second

func TestRoundTripEventsInOrder(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	cfg := testConfig(fake)
	m, reg := newMetrics(t)
	cfg.Metrics = m
	runExecutor(t, b, cfg)

	j := newJob(t, jobs.KindDeploy, "pr-7", b.bump(t, "pr-7", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	if evs[0].Type != events.TypeAccepted || evs[1].Type != events.TypeStarted {
		t.Fatalf("events = %v, want accepted, started first", types(evs))
	}
	sawLog := false
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d; events must be numbered 1..n: %v", i, ev.Seq, types(evs))
		}
		if ev.Type == events.TypeLog {
			sawLog = true
		}
	}
	if !sawLog {
		t.Errorf("no log event between started and succeeded: %v", types(evs))
	}
	succ := last(evs).Data.(*events.Succeeded)
	if succ.Deployment == nil || succ.Deployment.State != providers.StateRunning || succ.Connect == "" {
		t.Errorf("succeeded = %+v, want a running deployment with a connect command", succ)
	}
	rec, _, err := b.envs.Get(context.Background(), "pr-7")
	if err != nil {
		t.Fatal(err)
	}
	if rec.AppliedGeneration != j.Generation || rec.State != providers.StateRunning || rec.Handle == "" || rec.LastJobID != j.ID || rec.ExpiresAt.IsZero() == (cfg.DefaultTTL > 0) {
		t.Errorf("env record = %+v, want applied generation %d, running, handle, last job", rec, j.Generation)
	}
	st, ok, _ := fake.Env("pr-7")
	if !ok || st.Generation != j.Generation || st.JobID != j.ID {
		t.Errorf("fake env = %+v (exists %v), want generation %d by job %s", st, ok, j.Generation, j.ID)
	}
	// The metric is recorded right after the ack, so it may trail the event a little.
	waitFor(t, func() bool { return counterValue(t, reg, "deploy", "succeeded") == 1 })
}

func TestSameJobPublishedTwiceRunsOnce(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	runExecutor(t, b, testConfig(fake))
	j := newJob(t, jobs.KindDeploy, "twice", b.bump(t, "twice", false))
	key := j.IdempotencyKey("run/9/1")
	ctx := context.Background()
	for i, wantDup := range []bool{false, true} {
		dup, err := b.pub.PublishJob(ctx, j, key)
		if err != nil || dup != wantDup {
			t.Fatalf("publish #%d: duplicate=%v err=%v, want duplicate=%v", i+1, dup, err, wantDup)
		}
	}
	wantTerminal(t, b.follow(t, j.ID, waitEvents), events.TypeSucceeded)
	// The same job again outside JetStream's duplicate window (a different message id): the
	// executor finds its terminal event and acks it without running it.
	raw, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: "sindri.jobs." + providertest.FakeName, Data: raw}); err != nil {
		t.Fatal(err)
	}
	// A marker job queued behind it proves the copy was consumed.
	marker := newJob(t, jobs.KindStatus, "twice", 0)
	b.publish(t, marker)
	wantTerminal(t, b.follow(t, marker.ID, waitEvents), events.TypeSucceeded)
	waitFor(t, func() bool { return streamEmpty(t, b) })
	if got := fake.CountOp("twice", providertest.OpDeploy); got != 1 {
		t.Fatalf("deploys = %d, want 1", got)
	}
}

func TestThreeQuickDeploysRunNewestOnce(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake(providertest.WithStepDelay(5 * time.Millisecond))
	var js []*jobs.Job
	for i := 0; i < 3; i++ {
		js = append(js, newJob(t, jobs.KindDeploy, "quick", b.bump(t, "quick", false)))
	}
	for _, j := range js {
		b.publish(t, j)
	}
	runExecutor(t, b, testConfig(fake))
	for i, j := range js {
		want := events.TypeSuperseded
		if i == 2 {
			want = events.TypeSucceeded
		}
		wantTerminal(t, b.follow(t, j.ID, waitEvents), want)
	}
	if got := fake.CountOp("quick", providertest.OpDeploy); got != 1 {
		t.Errorf("deploys = %d, want 1", got)
	}
	if st, _, _ := fake.Env("quick"); st.Generation != 3 {
		t.Errorf("deployed generation = %d, want 3", st.Generation)
	}
	if o := fake.Overlaps(); len(o) > 0 {
		t.Errorf("overlaps: %v", o)
	}
}

// TestConcurrentJobsOneEnvNeverOverlap publishes mutating jobs of one env that are all
// current (stop/start/deploy at the same generation) to several executors.
func TestConcurrentJobsOneEnvNeverOverlap(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake(providertest.WithStepDelay(10 * time.Millisecond))
	for i := 0; i < 3; i++ {
		runExecutor(t, b, testConfig(fake))
	}
	gen := b.bump(t, "busy", false)
	var ids []string
	for i, k := range []jobs.Kind{jobs.KindDeploy, jobs.KindStop, jobs.KindStart, jobs.KindDeploy, jobs.KindStop, jobs.KindStart} {
		j := newJob(t, k, "busy", gen)
		j.Trigger = "issue_comment.created"
		if _, err := b.pub.PublishJob(context.Background(), j, j.IdempotencyKey("comment/"+itoa(uint64(i)))); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	for _, id := range ids {
		evs := b.follow(t, id, waitEvents)
		if tp := last(evs).Type; tp != events.TypeSucceeded && tp != events.TypeFailed {
			t.Fatalf("job %s ended %s", id, tp)
		}
	}
	if o := fake.Overlaps(); len(o) > 0 {
		t.Fatalf("overlapping operations: %v", o)
	}
}

func TestDestroyAfterCloseWins(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	deploy := newJob(t, jobs.KindDeploy, "pr-9", b.bump(t, "pr-9", false))
	destroy := newJob(t, jobs.KindDestroy, "pr-9", b.bump(t, "pr-9", true))
	destroy.Trigger = "pull_request.closed"
	// A deploy for the same PR that raced the close: its bump is refused (closed) and it
	// carries the current generation.
	late := newJob(t, jobs.KindDeploy, "pr-9", b.bump(t, "pr-9", false))
	late.SHA = strings.Repeat("b", 40)
	for _, j := range []*jobs.Job{destroy, deploy, late} {
		b.publish(t, j)
	}
	runExecutor(t, b, testConfig(fake))
	wantTerminal(t, b.follow(t, destroy.ID, waitEvents), events.TypeSucceeded)
	wantTerminal(t, b.follow(t, deploy.ID, waitEvents), events.TypeSuperseded)
	evs := b.follow(t, late.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSuperseded)
	if !last(evs).Data.(*events.Superseded).Closed {
		t.Errorf("late deploy superseded without the closed mark: %+v", last(evs).Data)
	}
	if _, ok, _ := fake.Env("pr-9"); ok {
		t.Fatal("environment exists after close")
	}
	if got := fake.CountOp("pr-9", providertest.OpDeploy); got != 0 {
		t.Errorf("deploys after close = %d, want 0", got)
	}
}

func TestMalformedAndUnknownVersionAreRefused(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	runExecutor(t, b, testConfig(fake))
	ctx := context.Background()
	subj := "sindri.jobs." + providertest.FakeName
	ack, err := b.js.Publish(ctx, subj, []byte("{not json"))
	if err != nil {
		t.Fatal(err)
	}
	evs := b.follow(t, "refused-"+itoa(ack.Sequence), waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	if f := last(evs).Data.(*events.Failed); f.Code != events.FailMalformed || f.Retryable {
		t.Errorf("malformed: %+v", f)
	}

	future := newJob(t, jobs.KindDeploy, "v2", 1)
	if _, err := b.js.Publish(ctx, subj, []byte(`{"v":2,"id":"`+future.ID+`","kind":"teleport"}`)); err != nil {
		t.Fatal(err)
	}
	evs = b.follow(t, future.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	if f := last(evs).Data.(*events.Failed); f.Code != events.FailUnknownVersion || !strings.Contains(f.Message, "version 2") {
		t.Errorf("unknown version: %+v", f)
	}

	// The executor keeps serving.
	ok := newJob(t, jobs.KindDeploy, "after", b.bump(t, "after", false))
	b.publish(t, ok)
	wantTerminal(t, b.follow(t, ok.ID, waitEvents), events.TypeSucceeded)
	waitFor(t, func() bool { return streamEmpty(t, b) })
}

func TestNotAllowedRepoIsRefused(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	cfg := testConfig(providertest.NewFake())
	cfg.AllowedRepos = []string{"acme/*"}
	runExecutor(t, b, cfg)
	j := newJob(t, jobs.KindDeploy, "foreign", b.bump(t, "foreign", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	if f := last(evs).Data.(*events.Failed); f.Code != events.FailUnauthorized {
		t.Errorf("failed = %+v, want unauthorized", f)
	}
}

func TestTransientFailuresRetryThenSucceed(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	fake.FailNext(providertest.OpDeploy, "flaky", 2, providers.Transient(errors.New("HTTP 503")))
	runExecutor(t, b, testConfig(fake))
	j := newJob(t, jobs.KindDeploy, "flaky", b.bump(t, "flaky", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	var attempts []int
	for _, ev := range evs {
		if r, ok := ev.Data.(*events.Retrying); ok {
			if r.Reason != events.RetryTransient || r.Delay <= 0 {
				t.Errorf("retrying = %+v", r)
			}
			attempts = append(attempts, r.Attempt)
		}
	}
	if len(attempts) != 2 || attempts[0] != 1 || attempts[1] != 2 {
		t.Errorf("retrying attempts = %v, want [1 2]", attempts)
	}
	if got := fake.CountOp("flaky", providertest.OpDeploy); got != 3 {
		t.Errorf("deploys = %d, want 3", got)
	}
	if envs, _ := fake.Envs(); len(envs) != 1 {
		t.Errorf("environments = %d, want 1", len(envs))
	}
}

func TestPermanentFailureTerminates(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	fake.FailNext(providertest.OpDeploy, "", 1, &providers.APIError{Provider: "fake", Op: "create", Status: 422, Message: "bad machine size"})
	runExecutor(t, b, testConfig(fake))
	j := newJob(t, jobs.KindDeploy, "bad", b.bump(t, "bad", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	f := last(evs).Data.(*events.Failed)
	if f.Code != events.FailProvider || f.Retryable || !strings.Contains(f.Message, "bad machine size") {
		t.Errorf("failed = %+v", f)
	}
	waitFor(t, func() bool { return streamEmpty(t, b) })
	if got := fake.CountOp("bad", providertest.OpDeploy); got != 1 {
		t.Errorf("deploys = %d, want 1 (permanent errors are not retried)", got)
	}
}

func TestDeadletterAfterLastAttempt(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	fake.FailNext(providertest.OpDeploy, "", 0, providers.Transient(errors.New("busy")))
	cfg := testConfig(fake)
	cfg.MaxAttempts = 3
	runExecutor(t, b, cfg)
	j := newJob(t, jobs.KindDeploy, "doomed", b.bump(t, "doomed", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeDeadlettered)
	if d := last(evs).Data.(*events.Deadlettered); d.Attempts != 3 {
		t.Errorf("deadlettered = %+v, want 3 attempts", d)
	}
	waitFor(t, func() bool { return streamEmpty(t, b) })
	if got := fake.CountOp("doomed", providertest.OpDeploy); got != 3 {
		t.Errorf("deploys = %d, want 3", got)
	}
}

func TestLeasedEnvIsRequeuedNotRun(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	ctx := context.Background()
	leases, err := events.OpenLeases(ctx, b.js)
	if err != nil {
		t.Fatal(err)
	}
	held, err := leases.Acquire(ctx, "leased", "someone-else", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	runExecutor(t, b, testConfig(fake))
	j := newJob(t, jobs.KindDeploy, "leased", b.bump(t, "leased", false))
	b.publish(t, j)
	// Wait for two lease waits, then let go.
	sawWait := 0
	fctx, cancel := context.WithTimeout(ctx, waitEvents)
	defer cancel()
	released := false
	for ev, err := range events.Follow(fctx, b.js, j.ID) {
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := ev.Data.(*events.Retrying); ok && r.Reason == events.RetryLeaseHeld {
			sawWait++
			if fake.Count("leased") != 0 {
				t.Fatal("the provider ran while the lease was held")
			}
			if sawWait == 2 && !released {
				released = true
				if err := leases.Release(ctx, held); err != nil {
					t.Fatal(err)
				}
			}
		}
		if ev.Type.Terminal() {
			if ev.Type != events.TypeSucceeded {
				t.Fatalf("ended %s", ev.Type)
			}
		}
	}
	if sawWait < 2 {
		t.Fatalf("lease waits = %d, want >= 2", sawWait)
	}
}

func TestDrainHandsBackInFlightJob(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	fake.Inject(providertest.Fault{Op: providertest.OpDeploy, Times: 1, Hang: true})
	cfg := testConfig(fake)
	cfg.DrainTimeout = 100 * time.Millisecond
	_, stop := runExecutor(t, b, cfg)
	j := newJob(t, jobs.KindDeploy, "drain", b.bump(t, "drain", false))
	b.publish(t, j)
	waitFor(t, func() bool { return fake.Count("drain") == 1 })
	stop() // returns only after the in-flight job was handed back
	if _, ok, _ := fake.Env("drain"); ok {
		t.Fatal("the cancelled deploy left a half-made environment")
	}
	// A second executor finishes it.
	runExecutor(t, b, testConfig(fake))
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	sawShutdown := false
	for _, ev := range evs {
		if r, ok := ev.Data.(*events.Retrying); ok && r.Reason == events.RetryShutdown {
			sawShutdown = true
		}
	}
	if !sawShutdown {
		t.Errorf("no retrying(shutdown) event: %v", types(evs))
	}
	if o := fake.Overlaps(); len(o) > 0 {
		t.Errorf("overlaps: %v", o)
	}
}

func TestReadOnlyKinds(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	runExecutor(t, b, testConfig(providertest.NewFake()))
	plan := newJob(t, jobs.KindPlan, "ro", 0)
	status := newJob(t, jobs.KindStatus, "ro", 0)
	b.publish(t, plan)
	b.publish(t, status)
	evs := b.follow(t, plan.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	if p := last(evs).Data.(*events.Succeeded).Plan; p == nil || len(p.Actions) == 0 {
		t.Errorf("plan result = %+v", p)
	}
	evs = b.follow(t, status.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	if s := last(evs).Data.(*events.Succeeded).Status; s == nil || s.State != providers.StateNotDeployed {
		t.Errorf("status result = %+v", s)
	}
}

func TestInvalidSindriConfigFailsWithDiagnostics(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	runExecutor(t, b, testConfig(fake))
	j := newJob(t, jobs.KindDeploy, "badcfg", b.bump(t, "badcfg", false))
	j.Config.Text = "version: \"3.0\"\nname: demo\ndeployment:\n  provider: teleporter\n"
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	f := last(evs).Data.(*events.Failed)
	if f.Code != events.FailInvalidConfig || !strings.Contains(f.Message, "sindri.yaml:4") {
		t.Errorf("failed = %+v, want invalid_config naming sindri.yaml:4", f)
	}
	if fake.Count("badcfg") != 0 {
		t.Error("the provider ran with an invalid config")
	}
}

// TestNewRefusesLeaseTTLAboveBucketTTL: a lease_ttl the sindri_locks bucket cannot keep would
// make every mutating job loop; New refuses it with a message that says what to change.
func TestNewRefusesLeaseTTLAboveBucketTTL(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	cfg := testConfig(providertest.NewFake())
	cfg.LeaseTTL = events.DefaultLockTTL + time.Minute
	_, err := executor.New(context.Background(), b.js, cfg)
	if !errors.Is(err, executor.ErrLeaseTTL) || !strings.Contains(err.Error(), "lease_ttl 16m0s") || !strings.Contains(err.Error(), "at most 15m0s") {
		t.Fatalf("New = %v, want ErrLeaseTTL naming lease_ttl 16m0s and the 15m0s limit", err)
	}
	cfg.LeaseTTL = events.DefaultLockTTL
	if _, err := executor.New(context.Background(), b.js, cfg); err != nil {
		t.Fatalf("New with lease ttl = bucket ttl: %v", err)
	}
}
