package executor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// slowCleanup is the Fake whose Deploy of job hangJob, once its context ends, keeps cleaning
// up for cleanup (as a provider does under context.WithoutCancel) before it returns. It
// records every pair of Deploy calls that ran at the same time on one environment, counting
// the cleanup as part of the call.
type slowCleanup struct {
	*providertest.Fake
	hangJob string
	cleanup time.Duration
	entered chan struct{}

	mu       sync.Mutex
	active   map[string]string // env -> job id of the running call
	overlaps []string
	once     sync.Once
}

func (p *slowCleanup) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	job := s.Labels[providers.LabelJobID]
	p.mu.Lock()
	if other, busy := p.active[s.Env]; busy {
		p.overlaps = append(p.overlaps, fmt.Sprintf("job %s started on %s while job %s still ran", job, s.Env, other))
	}
	p.active[s.Env] = job
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.active, s.Env)
		p.mu.Unlock()
	}()
	if job != p.hangJob {
		return p.Fake.Deploy(ctx, s, r)
	}
	p.once.Do(func() { close(p.entered) })
	<-ctx.Done()
	time.Sleep(p.cleanup) // the cleanup that ignores the cancelled context
	return nil, ctx.Err()
}

func (p *slowCleanup) found() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.overlaps...)
}

// TestLeaseHeldWhileProviderCleansUpAfterDeadline: job A's deadline cancels its operation, but
// the provider cleans up for longer than the lease TTL. The lease must stay renewed until the
// provider returns, so job B for the same environment (on another executor) cannot start
// while A's cleanup still runs.
func TestLeaseHeldWhileProviderCleansUpAfterDeadline(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := &slowCleanup{Fake: providertest.NewFake(), cleanup: 3 * time.Second,
		entered: make(chan struct{}), active: map[string]string{}}
	cfg := testConfig(p.Fake)
	var reg providers.Registry
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	cfg.Registry = &reg
	cfg.LeaseTTL = 2 * time.Second // shorter than the cleanup: it must be renewed meanwhile
	for range 2 {
		runExecutor(t, b, cfg)
	}

	a := newJob(t, jobs.KindDeploy, "cleanup", b.bump(t, "cleanup", false))
	a.Deadline = time.Now().Add(1500 * time.Millisecond)
	p.hangJob = a.ID
	b.publish(t, a)
	select {
	case <-p.entered:
	case <-time.After(waitEvents):
		t.Fatal("job A never reached its provider")
	}
	bj := newJob(t, jobs.KindDeploy, "cleanup", b.bump(t, "cleanup", false))
	b.publish(t, bj)

	evs := b.follow(t, a.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	if f := last(evs).Data.(*events.Failed); f.Code != events.FailDeadline {
		t.Errorf("job A failed with %+v, want code %s", f, events.FailDeadline)
	}
	wantTerminal(t, b.follow(t, bj.ID, waitEvents), events.TypeSucceeded)
	if o := p.found(); len(o) > 0 {
		t.Fatalf("two executors ran on one environment at once: %v", o)
	}
}
