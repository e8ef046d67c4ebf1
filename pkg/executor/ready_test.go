package executor_test

import (
	"context"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestNotReadyWhileFetchesFail: Ready turns false when a consumer's fetches keep failing (its
// consumer was deleted) and true again once they succeed.
func TestNotReadyWhileFetchesFail(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	ex, _ := runExecutor(t, b, testConfig(providertest.NewFake()))
	waitFor(t, ex.Ready)
	ctx := context.Background()
	name := executor.ConsumerPrefix + providertest.FakeName
	if err := b.js.DeleteConsumer(ctx, events.JobsStream, name); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return !ex.Ready() })
	if _, err := b.js.CreateOrUpdateConsumer(ctx, events.JobsStream,
		executor.ConsumerConfig(providertest.FakeName, "sindri.jobs."+providertest.FakeName, 3*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ex.Ready)
}
