package executor_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// outlasting is the Fake whose Deploy, once its context ends, cleans up for cleanup before
// returning; when it returns it notes whether the job already had a terminal event, which
// would mean another delivery settled the job while this one still ran.
type outlasting struct {
	*providertest.Fake
	b       *bus
	cleanup time.Duration
	entered chan struct{}
	once    sync.Once

	settledEarly atomic.Bool
	checkErr     atomic.Value
}

func (p *outlasting) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	p.once.Do(func() { close(p.entered) })
	<-ctx.Done()
	time.Sleep(p.cleanup)
	st, err := p.b.js.Stream(context.Background(), events.EventsStream)
	if err == nil {
		msg, gerr := st.GetLastMsgForSubject(context.Background(), "sindri.events."+s.Labels[providers.LabelJobID])
		if gerr == nil {
			if ev, derr := events.Decode(msg.Data); derr == nil && ev.Type.Terminal() {
				p.settledEarly.Store(true)
			}
		}
	} else {
		p.checkErr.Store(err)
	}
	return nil, ctx.Err()
}

// TestDeadlineSettledOnlyUnderLease: a copy of a job (queued twice) whose deadline passed
// while the first copy's provider still runs must not fail and terminate the job behind that
// copy's back: it waits for the lease, then finds the job finished.
func TestDeadlineSettledOnlyUnderLease(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	p := &outlasting{Fake: providertest.NewFake(), b: b, cleanup: time.Second, entered: make(chan struct{})}
	cfg := testConfig(p.Fake)
	var reg providers.Registry
	if err := reg.Register(p); err != nil {
		t.Fatal(err)
	}
	cfg.Registry = &reg
	for range 2 {
		runExecutor(t, b, cfg)
	}
	j := newJob(t, jobs.KindDeploy, "late", b.bump(t, "late", false))
	j.Deadline = time.Now().Add(2 * time.Second)
	b.publish(t, j)
	select {
	case <-p.entered:
	case <-time.After(waitEvents):
		t.Fatal("the job never reached its provider")
	}
	for time.Now().Before(j.Deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// The same job again, outside JetStream's duplicate window (another message id).
	raw, err := j.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.js.PublishMsg(context.Background(), &nats.Msg{Subject: "sindri.jobs." + providertest.FakeName, Data: raw}); err != nil {
		t.Fatal(err)
	}
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeFailed)
	waitFor(t, func() bool { return streamEmpty(t, b) })
	if err, _ := p.checkErr.Load().(error); err != nil {
		t.Fatal(err)
	}
	if p.settledEarly.Load() {
		t.Fatal("the job was settled by its copy while the first delivery's provider still ran")
	}
	if f := last(evs).Data.(*events.Failed); f.Code != events.FailDeadline {
		t.Errorf("failed = %+v, want code deadline", f)
	}
}
