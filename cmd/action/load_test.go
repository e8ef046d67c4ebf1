package main

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// TestLoadConcurrentActions starts 50 action processes at once against one bus served by
// three executors: 40 pull requests opened at the same moment, and 10 more runs that push to
// 5 of those PRs while their first run is still going (two overlapping runs per PR, as
// workflows without a concurrency group make). Every run must end ready or superseded, every
// PR with one comment and one Deployment. It reports p50/p95 of process start to job
// published (seen on the bus) and to ready (process exit), and the GitHub requests per run.
func TestLoadConcurrentActions(t *testing.T) {
	needHeavy(t)
	const (
		prs       = 40
		samePR    = 5
		perSamePR = 2
	)
	rb := startRemote(t)
	for i := range 3 {
		rb.startWorker("load-" + strconv.Itoa(i))
	}
	nc, err := rb.srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	var mu sync.Mutex
	published := map[string]time.Time{} // job id -> first seen on the bus
	sub, err := nc.Subscribe("sindri.jobs.>", func(m *nats.Msg) {
		at := time.Now()
		j, err := jobs.Decode(m.Data)
		if err != nil {
			return
		}
		mu.Lock()
		if _, ok := published[j.ID]; !ok {
			published[j.ID] = at
		}
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })

	type run struct {
		r       *repoSim
		action  string
		sha     string
		started time.Time
		ended   time.Time
		res     *result
	}
	var runs []*run
	repos := make([]*repoSim, prs)
	for i := range repos {
		repos[i] = newRepo(t, "")
		runs = append(runs, &run{r: repos[i], action: "opened", sha: shaOpened})
	}
	for i := range samePR {
		for k := range perSamePR {
			// Its own scratch directory (payloads, outputs); the same repository, PR and
			// GitHub fake.
			c := *repos[i]
			c.dir, c.runs, c.invocations = t.TempDir(), 0, nil
			runs = append(runs, &run{r: &c, action: "synchronize", sha: fmt.Sprintf("%039d%d", i, k)})
		}
	}
	inputs := map[string]string{"nats-url": rb.srv.ClientURL(), "provider": providertest.FakeName}
	var wg sync.WaitGroup
	for _, x := range runs {
		payload := prPayload(t, x.action, x.sha)
		wg.Go(func() {
			x.started = time.Now()
			x.res = x.r.invoke("pull_request", payload, inputs)
			x.ended = time.Now()
		})
	}
	wg.Wait()

	var toPublished, toReady []time.Duration
	for _, x := range runs {
		st := x.res.outputs["status"]
		if x.res.code != 0 || (st != "ready" && st != "superseded") {
			t.Errorf("%s %s: exit %d status %q, want 0 ready or superseded\n%s", x.r.env(), x.action, x.res.code, st, x.res.stdout)
			continue
		}
		toReady = append(toReady, x.ended.Sub(x.started))
		mu.Lock()
		at, ok := published[x.res.outputs["job-id"]]
		mu.Unlock()
		if ok {
			toPublished = append(toPublished, at.Sub(x.started))
		} else if x.res.outputs["job-id"] != "" {
			t.Errorf("%s %s: job %s never seen on the bus", x.r.env(), x.action, x.res.outputs["job-id"])
		}
	}
	requests, notModified := 0, 0
	for _, r := range repos {
		requests += r.gh.Counted()
		notModified += r.gh.NotModified()
		if n := len(r.stickyComments()); n != 1 {
			t.Errorf("%s: %d sticky comments, want 1", r.env(), n)
		}
		if deps := r.gh.Deployments(); len(deps) != 1 {
			t.Errorf("%s: %d deployments, want 1", r.env(), len(deps))
		}
	}
	t.Logf("load: runs=%d prs=%d executors=3 start->published p50=%s p95=%s start->ready p50=%s p95=%s github_requests_per_run=%.1f github_304_per_run=%.1f",
		len(runs), prs, pct(toPublished, 50), pct(toPublished, 95), pct(toReady, 50), pct(toReady, 95),
		float64(requests)/float64(len(runs)), float64(notModified)/float64(len(runs)))
}

// pct returns the p-th percentile (nearest rank) of ds, rounded to the millisecond.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)].Round(time.Millisecond)
}
