package executor_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// interloper is the Fake whose first Deploy finds that another delivery of the same job
// stored the job's next event (as a redelivery after a missed in-progress ack would) just
// before the provider reports its first line.
type interloper struct {
	*providertest.Fake
	b *bus
	t *testing.T

	mu    sync.Mutex
	calls int
}

func (p *interloper) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	p.mu.Lock()
	p.calls++
	n := p.calls
	p.mu.Unlock()
	if n == 1 {
		job := s.Labels[providers.LabelJobID]
		last, err := events.LastSeq(ctx, p.b.js, job)
		if err != nil {
			p.t.Error(err)
			return nil, err
		}
		em, err := events.NewEmitter(p.b.pub, job, "urn:sindri:executor:other", last)
		if err != nil {
			p.t.Error(err)
			return nil, err
		}
		if _, err := em.Emit(ctx, &events.Log{Level: events.LevelInfo, Message: "the other delivery speaks"}); err != nil {
			p.t.Error(err)
			return nil, err
		}
	}
	r.Log(fmt.Sprintf("deploy call %d", n))
	return p.Fake.Deploy(ctx, s, r)
}

// TestSeqTakenByAnotherDeliveryFallsSilent: when another delivery of the job stored the event
// number this one was about to use, this delivery stops and hands the job back without
// another event; the job then finishes with all of its successful attempt's lines.
func TestSeqTakenByAnotherDeliveryFallsSilent(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := &interloper{Fake: providertest.NewFake(), b: b, t: t}
	cfg := testConfig(p.Fake)
	var reg providers.Registry
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	cfg.Registry = &reg
	runExecutor(t, b, cfg)
	j := newJob(t, jobs.KindDeploy, "owner", b.bump(t, "owner", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)

	p.mu.Lock()
	calls := p.calls
	p.mu.Unlock()
	want := fmt.Sprintf("deploy call %d", calls)
	var logs []string
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d: %v", i, ev.Seq, types(evs))
		}
		if l, ok := ev.Data.(*events.Log); ok {
			logs = append(logs, l.Message)
		}
	}
	if !strings.Contains(strings.Join(logs, "\n"), want) {
		t.Fatalf("log events %q lack %q: the successful attempt's line was dropped as a duplicate", logs, want)
	}
	if calls != 2 {
		t.Errorf("deploy calls = %d, want 2 (the interrupted one and the finishing one)", calls)
	}
	waitFor(t, func() bool { return streamEmpty(t, b) })
}
