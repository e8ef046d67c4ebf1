package events

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

func newEnvStore(t *testing.T) *EnvStore {
	t.Helper()
	s, err := OpenEnvStore(testCtx(t), newBus(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEnvStoreGetPutCAS(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := newEnvStore(t)
	if _, _, err := s.Get(ctx, "app-pr-1"); !errors.Is(err, ErrEnvNotFound) {
		t.Fatalf("Get of nothing: %v", err)
	}
	rec := &EnvRecord{Env: "app-pr-1", Provider: "docker", Repo: "acme/app", PR: 1, State: providers.StateCreating,
		Connection: &providers.Connection{SSHCommand: "ssh x"}, CommentID: 11, DeploymentID: 22}
	rev, err := s.Put(ctx, rec, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, rec, 0); !errors.Is(err, ErrRevisionMismatch) {
		t.Errorf("second create: %v, want ErrRevisionMismatch", err)
	}
	got, gotRev, err := s.Get(ctx, "app-pr-1")
	if err != nil || gotRev != rev {
		t.Fatalf("Get: rev %d (want %d), %v", gotRev, rev, err)
	}
	if got.V != EnvRecordVersion || got.CreatedAt.IsZero() || got.State != providers.StateCreating ||
		got.Connection == nil || got.Connection.SSHCommand != "ssh x" || got.DeploymentID != 22 {
		t.Errorf("Get = %+v", got)
	}
	got.State = providers.StateRunning
	if _, err := s.Put(ctx, got, rev); err != nil {
		t.Fatal(err)
	}
	got.State = providers.StateError
	if _, err := s.Put(ctx, got, rev); !errors.Is(err, ErrRevisionMismatch) {
		t.Errorf("stale write: %v, want ErrRevisionMismatch", err)
	}
	final, _, _ := s.Get(ctx, "app-pr-1")
	if final.State != providers.StateRunning {
		t.Errorf("state %s, want running (the stale write must lose)", final.State)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Env != "app-pr-1" {
		t.Errorf("List = %v, %v", list, err)
	}
}

func TestBumpDesiredConcurrent(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := newEnvStore(t)
	const n = 24
	gens := make([]uint64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { gens[i], errs[i] = s.BumpDesired(ctx, "app-pr-9", false) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("bump %d: %v", i, err)
		}
	}
	slices.Sort(gens)
	for i, g := range gens {
		if g != uint64(i+1) {
			t.Fatalf("generations %v; want 1..%d, each once", gens, n)
		}
	}
	rec, _, _ := s.Get(ctx, "app-pr-9")
	if rec.DesiredGeneration != n {
		t.Errorf("desired generation %d, want %d", rec.DesiredGeneration, n)
	}
}

func TestCloseWins(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := newEnvStore(t)
	env := "app-pr-3"
	deployGen, _ := s.BumpDesired(ctx, env, false) // push 1
	lateGen, _ := s.BumpDesired(ctx, env, false)   // push 2, its job is slow to arrive
	closeGen, err := s.BumpDesired(ctx, env, true) // PR closed
	if err != nil || closeGen != 3 {
		t.Fatalf("close bump = %d, %v", closeGen, err)
	}
	// A synchronize run that started before the close finishes its bump afterwards.
	g, err := s.BumpDesired(ctx, env, false)
	if !errors.Is(err, ErrEnvClosed) || g != closeGen {
		t.Fatalf("bump of closed env = %d, %v; want %d, ErrEnvClosed", g, err, closeGen)
	}
	rec, _, _ := s.Get(ctx, env)
	if !rec.Closed || rec.ClosedAt.IsZero() || rec.DesiredGeneration != closeGen {
		t.Fatalf("record %+v", rec)
	}
	for _, tt := range []struct {
		kind jobs.Kind
		gen  uint64
		want bool
	}{
		{jobs.KindDeploy, deployGen, true},
		{jobs.KindDeploy, lateGen, true},
		{jobs.KindDeploy, closeGen, true}, // even a deploy at the desired generation: closed
		{jobs.KindStart, closeGen, true},
		{jobs.KindDestroy, closeGen, false},
		{jobs.KindStop, closeGen, false},
		{jobs.KindDestroy, lateGen, true},
		{jobs.KindStatus, deployGen, false}, // read-only kinds are never superseded
		{jobs.KindPlan, deployGen, false},
	} {
		if got, why := rec.Supersedes(tt.kind, tt.gen); got != tt.want {
			t.Errorf("Supersedes(%s, %d) = %v (%q), want %v", tt.kind, tt.gen, got, why, tt.want)
		}
	}
	// The PR is reopened: a new deploy outranks the destroy.
	reopenGen, err := s.Reopen(ctx, env)
	if err != nil || reopenGen != closeGen+1 {
		t.Fatalf("Reopen = %d, %v", reopenGen, err)
	}
	rec, _, _ = s.Get(ctx, env)
	if rec.Closed {
		t.Error("still closed after Reopen")
	}
	if sup, _ := rec.Supersedes(jobs.KindDeploy, reopenGen); sup {
		t.Error("deploy after reopen superseded")
	}
	if sup, _ := rec.Supersedes(jobs.KindDestroy, closeGen); !sup {
		t.Error("destroy before reopen not superseded")
	}
}

func TestEnvStoreUpdateAbortsOnFnError(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := newEnvStore(t)
	stop := errors.New("stop")
	if _, _, err := s.Update(ctx, "app", func(*EnvRecord, bool) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Update = %v, want fn's error", err)
	}
	if _, _, err := s.Get(ctx, "app"); !errors.Is(err, ErrEnvNotFound) {
		t.Errorf("record written despite fn error: %v", err)
	}
	rec, _, err := s.Update(ctx, "app", func(r *EnvRecord, exists bool) error {
		if exists {
			return errors.New("should not exist")
		}
		r.Provider, r.AppliedGeneration = "fly", 4
		return nil
	})
	if err != nil || rec.Provider != "fly" || rec.Env != "app" {
		t.Errorf("Update = %+v, %v", rec, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.BumpDesired(cctx, "app", false); err == nil {
		t.Error("BumpDesired with a canceled ctx succeeded")
	}
	if _, _, err := s.Get(ctx, "Not_Valid"); !errors.Is(err, ErrEnvNotFound) {
		t.Errorf("invalid name: %v", err)
	}
}

func TestEnvStoreUndecodableRecord(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := newEnvStore(t)
	if _, err := s.kv.Put(ctx, "app-pr-2", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "app-pr-2"); !errors.Is(err, ErrBadEnvRecord) {
		t.Errorf("Get = %v, want ErrBadEnvRecord", err)
	}
	if _, _, err := s.Update(ctx, "app-pr-2", func(*EnvRecord, bool) error { return nil }); !errors.Is(err, ErrBadEnvRecord) {
		t.Errorf("Update = %v, want ErrBadEnvRecord", err)
	}
}

// UpdateFrom writes from the record the caller read, and reads again only when somebody wrote
// it since; the caller's record is never changed.
func TestEnvStoreUpdateFrom(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	s := newEnvStore(t)
	setApplied := func(gen uint64) func(*EnvRecord, bool) error {
		return func(r *EnvRecord, _ bool) error {
			r.AppliedGeneration = gen
			return nil
		}
	}
	// Nothing was read: the record is created.
	rec, rev, err := s.UpdateFrom(ctx, "fresh", nil, 0, setApplied(1))
	if err != nil || rec.AppliedGeneration != 1 || rev == 0 {
		t.Fatalf("UpdateFrom on no record = %+v, %d, %v", rec, rev, err)
	}
	read, readRev, err := s.Get(ctx, "fresh")
	if err != nil || readRev != rev {
		t.Fatalf("Get = rev %d, %v; want rev %d", readRev, err, rev)
	}
	// The revision read is current: one write, from the record read.
	got, gotRev, err := s.UpdateFrom(ctx, "fresh", read, readRev, setApplied(2))
	if err != nil || got.AppliedGeneration != 2 || gotRev != readRev+1 {
		t.Fatalf("UpdateFrom on the current revision = %+v, %d, %v; want applied 2 at revision %d", got, gotRev, err, readRev+1)
	}
	if read.AppliedGeneration != 1 {
		t.Errorf("the caller's record was changed: applied %d", read.AppliedGeneration)
	}
	// Somebody wrote since the read (an action bumping the desired generation): fn runs on
	// the record as it is now, so the bump is kept.
	if _, err := s.BumpDesired(ctx, "fresh", false); err != nil {
		t.Fatal(err)
	}
	var calls int
	got, _, err = s.UpdateFrom(ctx, "fresh", read, readRev, func(r *EnvRecord, exists bool) error {
		calls++
		return setApplied(3)(r, exists)
	})
	if err != nil || got.AppliedGeneration != 3 || got.DesiredGeneration == 0 || calls != 2 {
		t.Fatalf("UpdateFrom on a stale revision = %+v, %v after %d calls; want applied 3, the bump kept, 2 calls", got, err, calls)
	}
	// A record that appeared after it was found missing is not overwritten either.
	if _, err := s.BumpDesired(ctx, "late", false); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.UpdateFrom(ctx, "late", nil, 0, setApplied(1))
	if err != nil || got.DesiredGeneration == 0 || got.AppliedGeneration != 1 {
		t.Fatalf("UpdateFrom over a record created since = %+v, %v; want the bump kept", got, err)
	}
}
