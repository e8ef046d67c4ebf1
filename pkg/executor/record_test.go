package executor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestUndecodableEnvRecordFailsClearly: a record in sindri_envs that does not decode fails the
// job permanently with a message that says what to do, instead of handing it back forever.
func TestUndecodableEnvRecordFailsClearly(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	runExecutor(t, b, testConfig(fake))
	ctx := context.Background()
	kv, err := b.js.KeyValue(ctx, events.EnvsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "garbled", []byte("{not a record")); err != nil {
		t.Fatal(err)
	}
	j := newJob(t, jobs.KindDeploy, "garbled", 1)
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	f := last(evs).Data.(*events.Failed)
	if f.Code != events.FailInternal || !strings.Contains(f.Message, "cannot be read") || !strings.Contains(f.Message, "nats kv del sindri_envs garbled") {
		t.Errorf("failed = %+v, want an internal failure saying the record cannot be read and how to fix it", f)
	}
	if fake.Count("garbled") != 0 {
		t.Error("the provider ran although the job's record could not be read")
	}
}

// TestEnvRecordWriteFailingRetriesWithCause: when the env record cannot be written after a
// successful operation, the job retries with the cause in its retrying events and is
// dead-lettered after the last attempt, instead of being handed back silently forever.
func TestEnvRecordWriteFailingRetriesWithCause(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake()
	cfg := testConfig(fake)
	cfg.MaxAttempts = 2
	ctx := context.Background()
	j := newJob(t, jobs.KindDeploy, "sealed-kv", b.bump(t, "sealed-kv", false))
	// A sealed stream keeps answering reads and refuses every write.
	st, err := b.js.Stream(ctx, "KV_"+events.EnvsBucket)
	if err != nil {
		t.Fatal(err)
	}
	sc := st.CachedInfo().Config
	sc.Sealed = true
	if _, err := b.js.UpdateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	runExecutor(t, b, cfg)
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeDeadlettered)
	var retries int
	for _, ev := range evs {
		if r, ok := ev.Data.(*events.Retrying); ok && r.Reason == events.RetryTransient {
			retries++
			if !strings.Contains(r.Message, "could not be written to the environment record") {
				t.Errorf("retrying message %q does not give the cause", r.Message)
			}
		}
	}
	if retries != 1 {
		t.Errorf("transient retrying events = %d, want 1 (attempt 1 of 2): %v", retries, types(evs))
	}
}
