package main

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// execPool keeps n executor subprocesses running against one bus and fake directory while a
// killer SIGKILLs one at random every killMin..killMin+killSpread and starts a replacement.
type execPool struct {
	t      testing.TB
	url    string
	dir    string
	env    []string
	mu     sync.Mutex
	live   []*proc
	killed map[int]time.Time // pid -> time of death
	kills  int
	stop   chan struct{}
	done   chan struct{}
}

func startExecPool(t testing.TB, url, dir string, n int, env ...string) *execPool {
	t.Helper()
	p := &execPool{t: t, url: url, dir: dir, env: env, killed: map[int]time.Time{}}
	for range n {
		p.spawn()
	}
	return p
}

func (p *execPool) spawn() {
	pr := startProc(p.t, p.url, p.dir, p.env...)
	p.mu.Lock()
	p.live = append(p.live, pr)
	p.mu.Unlock()
}

// killEvery starts the killer with its own Rand (a Rand is not safe for concurrent use).
func (p *execPool) killEvery(rng *rand.Rand, killMin, killSpread time.Duration) {
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(killMin + time.Duration(rng.Int64N(int64(killSpread)))):
			}
			p.mu.Lock()
			i := rng.IntN(len(p.live))
			victim := p.live[i]
			p.live = append(p.live[:i], p.live[i+1:]...)
			p.mu.Unlock()
			at := victim.kill(p.t)
			p.mu.Lock()
			p.killed[victim.cmd.Process.Pid] = at
			p.kills++
			p.mu.Unlock()
			p.spawn()
		}
	}()
}

// stopKilling stops the killer and returns how many executors it killed.
func (p *execPool) stopKilling() int {
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop = nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kills
}

// chaosVerdict is what a chaos run ends with.
type chaosVerdict struct {
	terminal   map[string]*events.Envelope // job id -> terminal event
	counts     map[events.Type]int
	lost       int
	inState    int
	envs       int
	ops        int
	unfinished int // provider operations cut short by a kill
	overlaps   int
}

func (v chaosVerdict) String() string {
	return fmt.Sprintf("terminal=%v lost_jobs=%d envs_in_desired_state=%d/%d provider_ops=%d ops_cut_by_kill=%d overlaps=%d",
		v.counts, v.lost, v.inState, v.envs, v.ops, v.unfinished, v.overlaps)
}

// judgeChaos waits up to timeout for the terminal event of every job in all and checks the
// run: each job succeeded or was superseded, each environment is in the state its last job
// (lastOf) asked for, and no two mutating provider operations on one environment overlapped
// (an operation cut short by a SIGKILL ends when its process died). The pool's killer is
// stopped once the terminal events are in. It fails t for each problem found and returns the
// counts.
func judgeChaos(t testing.TB, b *testBus, p *execPool, all []*jobs.Job, lastOf map[string]*jobs.Job, timeout time.Duration) chaosVerdict {
	t.Helper()
	v := chaosVerdict{counts: map[events.Type]int{}, envs: len(lastOf)}
	v.terminal = b.collectTerminals(t, all, timeout)
	p.stopKilling()
	for _, j := range all {
		ev, ok := v.terminal[j.ID]
		if !ok {
			v.lost++
			t.Errorf("job %s (%s %s gen %d) has no terminal event", j.ID, j.Kind, j.Env, j.Generation)
			if v.lost <= 5 {
				b.diagnose(t, j)
			}
			continue
		}
		v.counts[ev.Type]++
		if ev.Type != events.TypeSucceeded && ev.Type != events.TypeSuperseded {
			v.lost++
			t.Errorf("job %s (%s %s gen %d) ended %s: %s", j.ID, j.Kind, j.Env, j.Generation, ev.Type, dataJSON(ev))
		}
	}
	fake := providertest.NewFake(providertest.WithDir(p.dir))
	for env, j := range lastOf {
		st, ok, err := fake.Env(env)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case j.Kind == jobs.KindDeploy && ok && st.State == providers.StateRunning && st.Generation == j.Generation:
			v.inState++
		case j.Kind == jobs.KindDestroy && !ok:
			v.inState++
		default:
			t.Errorf("env %s: last job %s gen %d, platform has %+v (exists %v)", env, j.Kind, j.Generation, st, ok)
		}
	}
	ivs, err := providertest.ReadIntervals(p.dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p.mu.Lock()
	overlaps := providertest.FindOverlaps(ivs, func(iv providertest.Interval) time.Time {
		if at, ok := p.killed[iv.PID]; ok {
			return at
		}
		return now
	})
	p.mu.Unlock()
	for _, o := range overlaps {
		t.Errorf("overlap: %s", o)
	}
	v.ops, v.overlaps = len(ivs), len(overlaps)
	for _, iv := range ivs {
		if !iv.Finished() {
			v.unfinished++
		}
	}
	return v
}
