package providertest_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

var errBoom = errors.New("boom")

func TestFakeFailNextTransientThenSucceeds(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake()
	s := fakeSpec(t, "e1")
	f.FailNext(providertest.OpDeploy, "e1", 2, providers.Transient(errBoom))
	for i := 0; i < 2; i++ {
		_, err := f.Deploy(t.Context(), s, nil)
		if !errors.Is(err, errBoom) || !providers.IsRetryable(err) {
			t.Fatalf("attempt %d: err = %v, want retryable boom", i+1, err)
		}
		if _, ok, _ := f.Env("e1"); ok {
			t.Fatalf("attempt %d: failed deploy created the environment", i+1)
		}
	}
	if _, err := f.Deploy(t.Context(), s, nil); err != nil {
		t.Fatalf("third attempt: %v", err)
	}
	if got, want := f.CountOp("e1", providertest.OpDeploy), 3; got != want {
		t.Errorf("CountOp(deploy) = %d, want %d", got, want)
	}
}

func TestFakeFaultMatchesOnlyItsEnv(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake()
	f.FailNext(providertest.OpDestroy, "other", 1, errBoom)
	if err := f.Destroy(t.Context(), fakeSpec(t, "e1")); err != nil {
		t.Fatalf("Destroy(e1) = %v, want nil", err)
	}
	if err := f.Destroy(t.Context(), fakeSpec(t, "other")); !errors.Is(err, errBoom) {
		t.Fatalf("Destroy(other) = %v, want boom", err)
	}
	if providers.IsRetryable(errBoom) {
		t.Fatal("a plain error must be permanent")
	}
}

func TestFakeAfterApplyLosesResponse(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake()
	s := fakeSpec(t, "e1")
	f.Inject(providertest.Fault{Op: providertest.OpDeploy, Times: 1, Err: providers.Transient(errBoom), AfterApply: true})
	if _, err := f.Deploy(t.Context(), s, nil); !errors.Is(err, errBoom) {
		t.Fatalf("Deploy = %v, want boom", err)
	}
	d, err := f.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if d.Changed {
		t.Error("retry after a lost response: Changed = true, want false (find, not create)")
	}
	envs, _ := f.Envs()
	if len(envs) != 1 {
		t.Errorf("Envs = %d, want 1", len(envs))
	}
}

func TestFakeHangUntilCancelledRollsBack(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake()
	s := fakeSpec(t, "e1")
	f.Inject(providertest.Fault{Op: providertest.OpDeploy, Times: 1, Hang: true})
	ctx, cancel := context.WithCancel(t.Context())
	var rep progressRecorder
	rep.onProgress = cancel // cancel once the hang is reached (after the first step)
	_, err := f.Deploy(ctx, s, &rep)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Deploy = %v, want context.Canceled", err)
	}
	if st, ok, _ := f.Env("e1"); ok {
		t.Fatalf("cancelled deploy left %+v", st)
	}
	iv := f.Intervals()
	if len(iv) != 1 || !iv[0].Finished() || iv[0].Err == "" {
		t.Fatalf("intervals = %+v, want one finished failed deploy", iv)
	}
}

type progressRecorder struct {
	mu         sync.Mutex
	logs       []string
	onProgress func()
}

func (r *progressRecorder) Log(l string) { r.mu.Lock(); r.logs = append(r.logs, l); r.mu.Unlock() }
func (r *progressRecorder) Progress(string, int, int) {
	if r.onProgress != nil {
		r.onProgress()
	}
}

func TestFakeOverlapsDetectsConcurrentDeploys(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake(providertest.WithStepDelay(20 * time.Millisecond))
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Go(func() {
			s := fakeSpec(t, "e1")
			s.Labels[providers.LabelGeneration] = strconv.Itoa(i + 1)
			if _, err := f.Deploy(t.Context(), s, nil); err != nil {
				t.Errorf("Deploy: %v", err)
			}
		})
	}
	wg.Wait()
	if got := f.Overlaps(); len(got) != 1 {
		t.Fatalf("Overlaps = %v, want exactly one pair", got)
	}
	if got := f.Count("e1"); got != 2 {
		t.Errorf("Count = %d, want 2", got)
	}
}

func TestFakeSequentialOperationsDoNotOverlap(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake()
	s := fakeSpec(t, "e1")
	ctx := t.Context()
	if _, err := f.Deploy(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	// Status and Plan are read-only; they may run alongside anything.
	if _, err := f.Status(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := f.Destroy(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got := f.Overlaps(); len(got) != 0 {
		t.Fatalf("Overlaps = %v, want none", got)
	}
}

func TestFakeDirSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := providertest.NewFake(providertest.WithDir(dir))
	b := providertest.NewFake(providertest.WithDir(dir))
	s := fakeSpec(t, "e1")
	s.Labels[providers.LabelGeneration] = "7"
	s.Labels[providers.LabelJobID] = "job-1"
	if _, err := a.Deploy(t.Context(), s, nil); err != nil {
		t.Fatal(err)
	}
	st, ok, err := b.Env("e1")
	if err != nil || !ok {
		t.Fatalf("b.Env = %v, %v; want the env a made", ok, err)
	}
	if st.Generation != 7 || st.State != providers.StateRunning || st.JobID != "job-1" {
		t.Errorf("b sees %+v, want generation 7 running by job-1", st)
	}
	d, err := b.Deploy(t.Context(), s, nil)
	if err != nil || d.Changed {
		t.Fatalf("b.Deploy = %+v, %v; want unchanged", d, err)
	}
	ivs, err := providertest.ReadIntervals(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ivs) != 2 || ivs[0].Generation != 7 || ivs[0].JobID != "job-1" || !ivs[1].Finished() {
		t.Fatalf("ReadIntervals = %+v, want two finished deploys of generation 7", ivs)
	}
}

func TestFindOverlapsClosesOpenIntervals(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	killed := providertest.Interval{Op: providertest.OpDeploy, Env: "e", PID: 1, Start: t0}
	next := providertest.Interval{Op: providertest.OpDeploy, Env: "e", PID: 2, Start: t0.Add(2 * time.Second), End: t0.Add(3 * time.Second)}
	read := providertest.Interval{Op: providertest.OpStatus, Env: "e", PID: 3, Start: t0, End: t0.Add(5 * time.Second)}
	ivs := []providertest.Interval{killed, next, read}
	cases := []struct {
		name   string
		killAt time.Time
		want   int
	}{
		{"killed before the next began", t0.Add(time.Second), 0},
		{"killed after the next began", t0.Add(2500 * time.Millisecond), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := providertest.FindOverlaps(ivs, func(providertest.Interval) time.Time { return tc.killAt })
			if len(got) != tc.want {
				t.Fatalf("FindOverlaps = %v, want %d", got, tc.want)
			}
		})
	}
	if got := providertest.FindOverlaps(ivs, nil); len(got) != 1 {
		t.Fatalf("FindOverlaps(nil closer) = %v, want 1 (open interval lasts forever)", got)
	}
}

func TestFakeSecretsSeen(t *testing.T) {
	t.Parallel()
	f := providertest.NewFake()
	ctx := context.Background()
	sv := []providers.SecretValue{{Name: "TOKEN", Value: plainSecret("v")}}
	if _, err := f.Plan(ctx, &providers.Spec{Env: "seen", Secrets: sv}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Deploy(ctx, &providers.Spec{Env: "seen"}, nil); err != nil {
		t.Fatal(err)
	}
	got := f.SecretsSeen()
	if len(got) != 2 || len(got[0]) != 1 || got[0][0].Name != "TOKEN" || got[1] != nil {
		t.Errorf("SecretsSeen() = %v, want [[TOKEN] []]", got)
	}
}

type plainSecret string

func (p plainSecret) Reveal() string { return string(p) }
