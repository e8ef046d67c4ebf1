package executor_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// stubborn is the Fake whose first Deploy ignores its context: it returns only when release
// is closed.
type stubborn struct {
	*providertest.Fake
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	running atomic.Bool
	overlap atomic.Bool
}

func (p *stubborn) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	first := false
	p.once.Do(func() { first = true; close(p.entered) })
	if first {
		p.running.Store(true)
		<-p.release
		p.running.Store(false)
		return nil, context.Canceled
	}
	if p.running.Load() {
		p.overlap.Store(true)
	}
	return p.Fake.Deploy(ctx, s, r)
}

// TestDrainBoundedWhenProviderIgnoresCancel: Run returns after DrainTimeout and DrainGrace
// even though a provider never returns; the job goes back to the queue and another executor
// finishes it once the stubborn provider is done (never while it still runs).
func TestDrainBoundedWhenProviderIgnoresCancel(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := &stubborn{Fake: providertest.NewFake(), entered: make(chan struct{}), release: make(chan struct{})}
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(p.release) }) }
	cfg := testConfig(p.Fake)
	var reg providers.Registry
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	cfg.Registry = &reg
	cfg.DrainTimeout = 100 * time.Millisecond
	cfg.DrainGrace = 200 * time.Millisecond
	_, stop := runExecutor(t, b, cfg)
	t.Cleanup(release) // runs before stop (last in, first out): a failing test still ends
	j := newJob(t, jobs.KindDeploy, "stubborn", b.bump(t, "stubborn", false))
	b.publish(t, j)
	select {
	case <-p.entered:
	case <-time.After(waitEvents):
		t.Fatal("the job never reached its provider")
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(waitEvents): // liveness bound, far above DrainTimeout+DrainGrace
		t.Fatal("Run did not return while a provider ignored its cancellation")
	}

	runExecutor(t, b, cfg)
	release()
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	if got := p.CountOp("stubborn", providertest.OpDeploy); got != 1 {
		t.Errorf("deploys by the second executor = %d, want 1", got)
	}
	if p.overlap.Load() {
		t.Error("the second executor deployed while the stubborn provider still ran")
	}
}
