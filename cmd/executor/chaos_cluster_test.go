package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestChaosCluster is the chaos run at scale: SINDRI_CHAOS_JOBS jobs (default 10,000) on
// SINDRI_CHAOS_ENVS environments (default 200), published as pull-request events (opened,
// bursts of synchronize pushes, close while a deploy runs, late pushes to a closed PR,
// reopen) by eight concurrent publishers to a 3-node JetStream cluster with R3 streams, while
// three executor processes are SIGKILLed and replaced at random, the leader of SINDRI_JOBS is
// shut down three times (and brought back) and the whole cluster restarts once. It ends with
// no lost job, no overlapping operation and every environment in its last desired state, and
// reports the longest stall after a leader loss: the longest time without a finished job from
// the shutdown to the first terminal event of a job whose publish was acknowledged after it
// (first_new_done; the election is measured apart).
//
//	SINDRI_CHAOS=1 go test -run '^TestChaosCluster$' -v -timeout 30m ./cmd/executor
func TestChaosCluster(t *testing.T) {
	if os.Getenv("SINDRI_CHAOS") != "1" {
		t.Skip("set SINDRI_CHAOS=1 to run the chaos test")
	}
	nJobs, nEnvs := envInt(t, "SINDRI_CHAOS_JOBS", 10000), envInt(t, "SINDRI_CHAOS_ENVS", 200)
	const (
		executors  = 3
		publishers = 8
	)
	began := time.Now()
	c := startClusterBus(t)
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d; jobs %d envs %d executors %d publishers %d", seed, nJobs, nEnvs, executors, publishers)
	// Replicated like the streams: an executor's spend ledger on one node would hold every
	// executor's start while that node is down.
	pool := startExecPool(t, c.url, dir, executors, "SINDRI_FAKE_STEP_DELAY=5ms", "SINDRI_CONCURRENCY=16", "SINDRI_STREAM_REPLICAS=3")
	pool.killEvery(rand.New(rand.NewPCG(seed, 11)), time.Second, 2*time.Second)

	var published atomic.Int64
	chaos := &clusterChaos{c: c}
	chaos.gate.Store(int64(nJobs))
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		chaos.run(&published, int64(nJobs))
	}()

	prs := make([]*prPublisher, publishers)
	var wg sync.WaitGroup
	for w := range prs {
		p := &prPublisher{b: c.testBus, rng: rand.New(rand.NewPCG(seed, uint64(100+w))), budget: &published, gate: &chaos.gate,
			max: int64(nJobs), lastOf: map[string]*jobs.Job{}, ackAt: map[string]time.Time{}}
		for e := w; e < nEnvs; e += publishers {
			p.envs = append(p.envs, &prEnv{name: fmt.Sprintf("pr-%03d", e)})
		}
		prs[w] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.err = p.run()
		}()
	}
	wg.Wait()
	<-chaosDone
	publishedIn := time.Since(began)
	var all []*jobs.Job
	lastOf := map[string]*jobs.Job{}
	ackAt := map[string]time.Time{}
	var tally prTally
	for _, p := range prs {
		if p.err != nil {
			t.Errorf("publisher: %v", p.err)
		}
		all = append(all, p.all...)
		for k, v := range p.lastOf {
			lastOf[k] = v
		}
		for k, v := range p.ackAt {
			ackAt[k] = v
		}
		tally.add(p.tally)
	}
	for _, err := range chaos.errs {
		t.Errorf("chaos: %v", err)
	}
	t.Logf("published %d jobs in %s; waiting for their terminal events", len(all), publishedIn.Round(time.Millisecond))

	v := judgeChaos(t, c.testBus, pool, all, lastOf, 15*time.Minute)
	nKills := pool.stopKilling()
	stalls, worst, worstElection := chaos.stalls(all, ackAt, v.terminal)
	fmt.Printf("chaos-cluster: jobs=%d envs=%d nodes=3 executor_kills=%d leader_kills=%d full_restarts=%d pr_events=%s %s duration=%s\n",
		len(all), len(lastOf), nKills, len(chaos.kills), chaos.restarts, tally, v, time.Since(began).Round(time.Second))
	fmt.Printf("chaos-cluster: leader_loss_stall_max=%s election_max=%s (goal: election + 2s) per_loss=[%s]\n",
		worst.Round(time.Millisecond), worstElection.Round(time.Millisecond), stalls)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s must be a positive integer", name)
	}
	return n
}

// clusterChaos shuts the stream leader down at 20%, 45% and 80% of the published jobs and
// restarts the whole cluster at 60%. Publishers stop at the next fault's mark (gate) until it
// is done, so that jobs are published after every fault, whatever waiting for a healthy
// cluster before a fault costs.
type clusterChaos struct {
	gate     atomic.Int64
	c        *clusterBus
	kills    []leaderKill
	restarts int
	errs     []error
}

type leaderKill struct {
	node     int
	at       time.Time
	election time.Duration // until SINDRI_JOBS has a new leader
	led      time.Duration // until every group a job needs has one (sindriGroups)
}

func (x *clusterChaos) run(published *atomic.Int64, total int64) {
	type step struct {
		at      int64
		restart bool
	}
	plan := []step{{total * 20 / 100, false}, {total * 45 / 100, false}, {total * 60 / 100, true}, {total * 80 / 100, false}}
	defer x.gate.Store(total)
	for i, s := range plan {
		x.gate.Store(s.at)
		next := total // the gate once this fault is injected
		if i+1 < len(plan) {
			next = plan[i+1].at
		}
		for published.Load() < s.at {
			time.Sleep(10 * time.Millisecond)
		}
		if s.restart {
			if err := x.c.restartAll(context.Background()); err != nil {
				x.errs = append(x.errs, fmt.Errorf("full restart: %w", err))
				return
			}
			x.gate.Store(next)
			x.restarts++
			continue
		}
		if err := x.killLeader(func() { x.gate.Store(next) }); err != nil {
			x.errs = append(x.errs, err)
			return
		}
	}
}

// killLeader waits until the cluster is healthy (a node restarted before has caught up: losing
// a second node before that is a loss of quorum, not of a leader), shuts the leader of
// SINDRI_JOBS down, measures the election of the next one and of every group's leader, and
// starts the node again 3 s after the shutdown (it catches up as a follower). killed runs
// right after the shutdown.
func (x *clusterChaos) killLeader(killed func()) (err error) {
	if !x.c.waitHealthy(60 * time.Second) {
		return errors.New("the cluster is not healthy 60s after the last fault")
	}
	var l int
	deadline := time.Now().Add(30 * time.Second)
	for l = x.c.streamLeader(events.JobsStream); l < 0; l = x.c.streamLeader(events.JobsStream) {
		if time.Now().After(deadline) {
			return errors.New("no leader of " + events.JobsStream + " to kill")
		}
		time.Sleep(10 * time.Millisecond)
	}
	at := time.Now()
	x.c.nodes[l].Shutdown()
	killed()
	defer func() {
		time.Sleep(time.Until(at.Add(3 * time.Second)))
		if rerr := x.c.nodes[l].Restart(context.Background()); rerr != nil && err == nil {
			err = fmt.Errorf("restart n%d: %w", l, rerr)
		}
	}()
	elected, ok := x.c.waitStreamLeader(events.JobsStream, l, 30*time.Second)
	if !ok {
		return fmt.Errorf("no new leader of %s within 30s of shutting down n%d", events.JobsStream, l)
	}
	led, ok := x.c.waitGroupLeaders(l, 30*time.Second)
	if !ok {
		return fmt.Errorf("not every group has a leader within 30s of shutting down n%d", l)
	}
	x.kills = append(x.kills, leaderKill{node: l, at: at, election: elected.Sub(at), led: led.Sub(at)})
	return nil
}

// stalls returns, per leader loss, the stall: the longest time without any terminal event,
// from the shutdown until the first terminal event of a job published after it (a job
// published later also waits for the jobs queued before it: with a backlog that wait is not a
// stall, and jobs keep finishing meanwhile). It also returns the worst stall and election.
func (x *clusterChaos) stalls(all []*jobs.Job, ackAt map[string]time.Time, terminal map[string]*events.Envelope) (string, time.Duration, time.Duration) {
	var done []time.Time // every terminal event, in time order
	for _, ev := range terminal {
		done = append(done, ev.Time)
	}
	slices.SortFunc(done, func(a, b time.Time) int { return a.Compare(b) })
	var parts []string
	var worst, worstElection time.Duration
	for _, k := range x.kills {
		// first: the first terminal event of a job published after the loss; acked: the
		// first publish acknowledged after it (where the time went: publishing or executing).
		var first, acked time.Time
		backlog := 0 // jobs published before the loss and finished after it
		for _, j := range all {
			at := ackAt[j.ID]
			if !at.After(k.at) {
				if ev, ok := terminal[j.ID]; ok && ev.Time.After(k.at) {
					backlog++
				}
				continue
			}
			if acked.IsZero() || at.Before(acked) {
				acked = at
			}
			if ev, ok := terminal[j.ID]; ok && (first.IsZero() || ev.Time.Before(first)) {
				first = ev.Time
			}
		}
		worstElection = max(worstElection, k.election)
		if acked.IsZero() {
			// Every job was published before this loss: nothing measures a stall.
			parts = append(parts, fmt.Sprintf("n%d election=%s no_job_published_after", k.node, k.election.Round(time.Millisecond)))
			continue
		}
		stall, prev := time.Duration(0), k.at
		for _, t := range done {
			if t.After(k.at) && !t.After(first) {
				stall, prev = max(stall, t.Sub(prev)), t
			}
		}
		worst = max(worst, stall)
		parts = append(parts, fmt.Sprintf("n%d stall=%s election=%s all_led=%s first_publish=%s first_new_done=%s backlog=%d", k.node,
			stall.Round(time.Millisecond), k.election.Round(time.Millisecond), k.led.Round(time.Millisecond),
			acked.Sub(k.at).Round(time.Millisecond), first.Sub(k.at).Round(time.Millisecond), backlog))
	}
	slices.Sort(parts)
	return fmt.Sprint(parts), worst, worstElection
}

// prEnv is one pull request's environment as its publisher sees it.
type prEnv struct {
	name   string
	opened bool
	closed bool
}

// prTally counts the pull-request events published.
type prTally struct {
	opened, pushes, closes, closesWhileDeploying, lateSkipped, reopens int
}

func (a *prTally) add(b prTally) {
	a.opened += b.opened
	a.pushes += b.pushes
	a.closes += b.closes
	a.closesWhileDeploying += b.closesWhileDeploying
	a.lateSkipped += b.lateSkipped
	a.reopens += b.reopens
}

func (a prTally) String() string {
	return fmt.Sprintf("{opened:%d pushes:%d closes:%d closes_while_deploying:%d late_pushes_skipped:%d reopens:%d}",
		a.opened, a.pushes, a.closes, a.closesWhileDeploying, a.lateSkipped, a.reopens)
}

// prPublisher plays the action for its own environments, one event at a time per
// environment as a workflow's concurrency group would, until the shared budget of jobs is
// spent.
type prPublisher struct {
	b      *testBus
	rng    *rand.Rand
	envs   []*prEnv
	budget *atomic.Int64
	gate   *atomic.Int64 // no job past this count until the chaos raises it
	max    int64

	all    []*jobs.Job
	lastOf map[string]*jobs.Job
	ackAt  map[string]time.Time
	tally  prTally
	err    error
}

var errBudget = errors.New("job budget spent")

func (p *prPublisher) run() error {
	for {
		e := p.envs[p.rng.IntN(len(p.envs))]
		err := p.event(e)
		if errors.Is(err, errBudget) {
			return nil
		}
		if err != nil {
			return err
		}
		time.Sleep(time.Duration(p.rng.IntN(4)) * time.Millisecond)
	}
}

func (p *prPublisher) event(e *prEnv) error {
	switch r := p.rng.IntN(10); {
	case !e.opened:
		e.opened = true
		return p.count(&p.tally.opened, p.deploy(e, "pull_request.opened", false))
	case e.closed && r < 8:
		e.closed = false
		return p.count(&p.tally.reopens, p.deploy(e, "pull_request.reopened", true))
	case e.closed:
		// A push to a closed PR: the action finds the record closed and publishes nothing.
		var closed bool
		err := retryErr("bump "+e.name, func(ctx context.Context) error {
			_, err := p.b.envs.BumpDesired(ctx, e.name, false)
			if closed = errors.Is(err, events.ErrEnvClosed); closed {
				return nil
			}
			return err
		})
		if err == nil && !closed {
			return fmt.Errorf("push to closed %s: the record was not closed", e.name)
		}
		p.tally.lateSkipped++
		return err
	case r < 6:
		for range 1 + p.rng.IntN(4) { // a burst of pushes
			if err := p.count(&p.tally.pushes, p.deploy(e, "pull_request.synchronize", false)); err != nil {
				return err
			}
		}
		return nil
	case r < 8:
		if err := p.count(&p.tally.pushes, p.deploy(e, "pull_request.synchronize", false)); err != nil {
			return err
		}
		time.Sleep(time.Duration(p.rng.IntN(30)) * time.Millisecond)
		return p.count(&p.tally.closesWhileDeploying, p.close(e))
	default:
		return p.close(e)
	}
}

func (p *prPublisher) close(e *prEnv) error {
	if err := p.reserve(); err != nil {
		return err
	}
	e.closed = true
	var gen uint64
	if err := retryErr("close "+e.name, func(ctx context.Context) (err error) {
		gen, err = p.b.envs.BumpDesired(ctx, e.name, true)
		return err
	}); err != nil {
		return err
	}
	return p.count(&p.tally.closes, p.publish(jobs.KindDestroy, e, gen, "pull_request.closed"))
}

// count adds one to n when err is nil and returns err.
func (p *prPublisher) count(n *int, err error) error {
	if err == nil {
		*n++
	}
	return err
}

func (p *prPublisher) deploy(e *prEnv, trigger string, reopen bool) error {
	if err := p.reserve(); err != nil {
		return err
	}
	var gen uint64
	if err := retryErr("bump "+e.name, func(ctx context.Context) (err error) {
		if reopen {
			gen, err = p.b.envs.Reopen(ctx, e.name)
		} else {
			gen, err = p.b.envs.BumpDesired(ctx, e.name, false)
		}
		return err
	}); err != nil {
		return err
	}
	return p.publish(jobs.KindDeploy, e, gen, trigger)
}

// reserve takes one job from the shared budget before the desired generation is bumped: a
// bump without its job would leave the environment's desired state unpublished.
func (p *prPublisher) reserve() error {
	for p.budget.Load() >= p.gate.Load() && p.budget.Load() < p.max {
		time.Sleep(5 * time.Millisecond)
	}
	if p.budget.Add(1) > p.max {
		return errBudget
	}
	return nil
}

func (p *prPublisher) publish(kind jobs.Kind, e *prEnv, gen uint64, trigger string) error {
	j, err := jobs.New(kind, e.name, providertest.FakeName)
	if err != nil {
		return err
	}
	j.Generation, j.Repo, j.PR, j.Trigger = gen, "sindri/demo", 1, trigger
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: sindriYAML}
	if err := retryErr("publish "+j.ID, func(ctx context.Context) error {
		_, err := p.b.pub.PublishJob(ctx, j, j.IdempotencyKey("test"))
		return err
	}); err != nil {
		return err
	}
	p.ackAt[j.ID] = time.Now()
	p.all = append(p.all, j)
	p.lastOf[e.name] = j
	return nil
}

// retryErr calls f until it succeeds or 60 s pass (a leader election or a full restart is
// under way), returning the last error; safe off the test goroutine.
func retryErr(what string, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %w", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
