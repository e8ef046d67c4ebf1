package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/jobs"
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
	t.Logf("seed %d; jobs %d envs %d executors %d", seed, nJobs, nEnvs, executors)

	pool := startExecPool(t, b.url, dir, executors, "SINDRI_FAKE_STEP_DELAY=30ms")
	pool.killEvery(rand.New(rand.NewPCG(seed, 11)), 300*time.Millisecond, 500*time.Millisecond)

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

	v := judgeChaos(t, b, pool, all, lastOf, 2*time.Minute)
	nKills := pool.stopKilling()
	fmt.Printf("chaos: jobs=%d envs=%d executor_kills=%d server_restarts=%d %s\n",
		len(all), len(lastOf), nKills, map[bool]int{true: 1}[restarted], v)
}
