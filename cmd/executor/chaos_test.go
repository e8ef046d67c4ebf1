package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestChaos publishes >= 500 jobs over >= 50 environments to three executor processes while
// executors are SIGKILLed and replaced at random and the server restarts once. It ends with
// every environment in its last desired state, no lost job and no overlapping operations.
//
//	SINDRI_CHAOS=1 go test -run TestChaos -v -timeout 15m ./cmd/executor
func TestChaos(t *testing.T) {
	if os.Getenv("SINDRI_CHAOS") != "1" {
		t.Skip("set SINDRI_CHAOS=1 to run the chaos test")
	}
	const (
		nJobs     = 600
		nEnvs     = 60
		executors = 3
	)
	b := startTestBus(t)
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	killRng := rand.New(rand.NewPCG(seed, 11)) // the killer goroutine's own: a Rand is not safe for concurrent use
	t.Logf("seed %d; jobs %d envs %d executors %d", seed, nJobs, nEnvs, executors)

	var mu sync.Mutex
	var live []*proc
	killedAt := map[int]time.Time{}
	spawn := func() {
		p := startProc(t, b.url, dir, "SINDRI_FAKE_STEP_DELAY=30ms")
		mu.Lock()
		live = append(live, p)
		mu.Unlock()
	}
	for i := 0; i < executors; i++ {
		spawn()
	}
	stopKiller := make(chan struct{})
	killerDone := make(chan struct{})
	kills := 0
	go func() {
		defer close(killerDone)
		for {
			select {
			case <-stopKiller:
				return
			case <-time.After(time.Duration(300+killRng.IntN(500)) * time.Millisecond):
			}
			mu.Lock()
			i := killRng.IntN(len(live))
			p := live[i]
			live = append(live[:i], live[i+1:]...)
			mu.Unlock()
			at := p.kill(t)
			mu.Lock()
			killedAt[p.cmd.Process.Pid] = at
			kills++
			mu.Unlock()
			spawn()
		}
	}()

	var all []*jobs.Job
	lastOf := map[string]*jobs.Job{}
	restarted := false
	for i := 0; i < nJobs; i++ {
		if i == nJobs/2 {
			if err := b.emb.Restart(context.Background()); err != nil {
				t.Fatal(err)
			}
			restarted = true
		}
		env := fmt.Sprintf("chaos-%02d", rng.IntN(nEnvs))
		kind := jobs.KindDeploy
		if rng.IntN(4) == 0 {
			kind = jobs.KindDestroy
		}
		j := makeJob(t, kind, env, b.bump(t, env, false))
		b.publish(t, j)
		all = append(all, j)
		lastOf[env] = j
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond) // interleave with execution
	}

	counts := map[events.Type]int{}
	lost := 0
	terminal := b.collectTerminals(t, all, 2*time.Minute)
	for _, j := range all {
		ev, ok := terminal[j.ID]
		if !ok {
			lost++
			t.Errorf("job %s (%s %s gen %d) has no terminal event", j.ID, j.Kind, j.Env, j.Generation)
			b.diagnose(t, j)
			continue
		}
		counts[ev.Type]++
		if ev.Type != events.TypeSucceeded && ev.Type != events.TypeSuperseded {
			lost++
			t.Errorf("job %s (%s %s gen %d) ended %s: %s", j.ID, j.Kind, j.Env, j.Generation, ev.Type, dataJSON(ev))
		}
	}
	close(stopKiller)
	<-killerDone

	fake := providertest.NewFake(providertest.WithDir(dir))
	inState := 0
	for env, j := range lastOf {
		st, ok, err := fake.Env(env)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case j.Kind == jobs.KindDeploy && ok && st.State == providers.StateRunning && st.Generation == j.Generation:
			inState++
		case j.Kind == jobs.KindDestroy && !ok:
			inState++
		default:
			t.Errorf("env %s: last job %s gen %d, platform has %+v (exists %v)", env, j.Kind, j.Generation, st, ok)
		}
	}
	ivs, err := providertest.ReadIntervals(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	mu.Lock()
	overlaps := providertest.FindOverlaps(ivs, func(iv providertest.Interval) time.Time {
		if at, ok := killedAt[iv.PID]; ok {
			return at
		}
		return now
	})
	nKills := kills
	mu.Unlock()
	for _, o := range overlaps {
		t.Errorf("overlap: %s", o)
	}
	unfinished := 0
	for _, iv := range ivs {
		if !iv.Finished() {
			unfinished++
		}
	}
	fmt.Printf("chaos: jobs=%d envs=%d executor_kills=%d server_restarts=%d terminal=%v lost_jobs=%d envs_in_desired_state=%d/%d provider_ops=%d ops_cut_by_kill=%d overlaps=%d\n",
		len(all), len(lastOf), nKills, map[bool]int{true: 1}[restarted], counts, lost, inState, len(lastOf), len(ivs), unfinished, len(overlaps))
}
