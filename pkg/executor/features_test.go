package executor_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// An operation several times longer than the consumer's ack wait is kept alive by in-progress
// acks: it runs once, is never redelivered, and ends succeeded on its first attempt.
func TestLongOperationOutlivesAckWait(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake(providertest.WithStepDelay(1500 * time.Millisecond)) // two steps: 3s
	cfg := testConfig(fake)
	cfg.AckWait = time.Second
	m, reg := newMetrics(t)
	cfg.Metrics = m
	runExecutor(t, b, cfg)
	j := newJob(t, jobs.KindDeploy, "long", b.bump(t, "long", false))
	b.publish(t, j)
	evs := b.follow(t, j.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	for _, ev := range evs {
		switch d := ev.Data.(type) {
		case *events.Accepted:
			if d.Attempt != 1 {
				t.Errorf("accepted on attempt %d", d.Attempt)
			}
		case *events.Retrying:
			t.Errorf("retrying event: %+v", d)
		}
	}
	if n := fake.CountOp("long", providertest.OpDeploy); n != 1 {
		t.Errorf("deploys = %d, want 1 (redelivered while running?)", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sindri_executor_redeliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if v := m.GetCounter().GetValue(); v != 0 {
				t.Errorf("%v redeliveries while the operation ran, want 0", v)
			}
		}
	}
}

// Concurrency bounds the operations one executor runs at once, and jobs of different
// environments do run in parallel up to it.
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	fake := providertest.NewFake(providertest.WithStepDelay(300 * time.Millisecond))
	cfg := testConfig(fake)
	cfg.Concurrency = 2
	runExecutor(t, b, cfg)
	var all []*jobs.Job
	for i := range 6 {
		env := fmt.Sprintf("conc-%d", i)
		j := newJob(t, jobs.KindDeploy, env, b.bump(t, env, false))
		b.publish(t, j)
		all = append(all, j)
	}
	for _, j := range all {
		wantTerminal(t, b.follow(t, j.ID, waitEvents), events.TypeSucceeded)
	}
	if peak := peakConcurrency(fake.Intervals()); peak != 2 {
		t.Errorf("at most %d operations ran at once, want exactly the limit 2", peak)
	}
}

// peakConcurrency is the largest number of intervals open at one instant.
func peakConcurrency(ivs []providertest.Interval) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, iv := range ivs {
		edges = append(edges, edge{iv.Start, 1}, edge{iv.End, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // an end before a start at the same instant
	})
	open, peak := 0, 0
	for _, e := range edges {
		open += e.delta
		peak = max(peak, open)
	}
	return peak
}

// An executor serving a subset of its registered providers pulls only their jobs; another
// executor serves the rest.
func TestExecutorServesItsProvidersOnly(t *testing.T) {
	t.Parallel()
	b := startBus(t)
	alpha := providertest.NewFake(providertest.WithName("alpha"))
	beta := providertest.NewFake(providertest.WithName("beta"))
	var reg providers.Registry
	for _, p := range []providers.Provider{alpha, beta} {
		if err := reg.Register(p); err != nil {
			t.Fatal(err)
		}
	}
	onlyAlpha := testConfig(alpha)
	onlyAlpha.Registry, onlyAlpha.Providers, onlyAlpha.Worker = &reg, []string{"alpha"}, "alpha-only"
	runExecutor(t, b, onlyAlpha)

	ja := newJob(t, jobs.KindDeploy, "sub-a", b.bump(t, "sub-a", false))
	ja.Provider = "alpha"
	jb := newJob(t, jobs.KindDeploy, "sub-b", b.bump(t, "sub-b", false))
	jb.Provider = "beta"
	b.publish(t, ja)
	b.publish(t, jb)
	evs := b.follow(t, ja.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	if w := evs[0].Data.(*events.Accepted).Worker; w != "alpha-only" {
		t.Errorf("alpha job accepted by %q", w)
	}
	// The beta job waits in the stream: nobody serves beta yet.
	time.Sleep(500 * time.Millisecond)
	if n, _ := events.LastSeq(context.Background(), b.js, jb.ID); n != 0 || beta.Count("sub-b") != 0 {
		t.Fatalf("the beta job was touched (%d events) by an executor not serving beta", n)
	}
	onlyBeta := testConfig(beta)
	onlyBeta.Registry, onlyBeta.Providers, onlyBeta.Worker = &reg, []string{"beta"}, "beta-only"
	runExecutor(t, b, onlyBeta)
	evs = b.follow(t, jb.ID, waitEvents)
	wantTerminal(t, evs, events.TypeSucceeded)
	if w := evs[0].Data.(*events.Accepted).Worker; w != "beta-only" {
		t.Errorf("beta job accepted by %q", w)
	}
	if alpha.Count("sub-b") != 0 || beta.Count("sub-a") != 0 {
		t.Error("a job ran on the other provider")
	}
}
