package events

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

func TestEmbeddedHasNoListenerByDefault(t *testing.T) {
	t.Parallel()
	e := startServer(t)
	if u := e.ClientURL(); u != "" {
		t.Errorf("ClientURL = %q, want none", u)
	}
	if a := e.Server().Addr(); a != nil {
		t.Errorf("server listens on %v", a)
	}
	_, js := connectJS(t, e)
	if _, err := js.AccountInfo(testCtx(t)); err != nil {
		t.Errorf("JetStream over the in-process connection: %v", err)
	}
}

func TestEmbeddedListenAndConnect(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e, err := StartEmbedded(ctx, EmbeddedOptions{Listen: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := e.StoreDir()
	nc, err := Connect(ctx, ConnectOptions{URLs: []string{e.ClientURL()}, Name: "test"})
	if err != nil {
		t.Fatalf("Connect(%s): %v", e.ClientURL(), err)
	}
	js, _ := jetstream.New(nc)
	if err := Setup(ctx, js, SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	e.Close()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary store %s survives Close: %v", dir, err)
	}
	if _, err := e.Connect(); !errors.Is(err, ErrConnect) {
		t.Errorf("Connect after Close: %v", err)
	}
}

func TestEmbeddedRestartKeepsFileStore(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	e, err := StartEmbedded(ctx, EmbeddedOptions{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	nc, js := connectJS(t, e)
	if err := Setup(ctx, js, SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	job := newJob(t, jobs.KindDeploy)
	key := job.IdempotencyKey("run/1/1")
	if _, err := NewPublisher(js).PublishJob(ctx, job, key); err != nil {
		t.Fatal(err)
	}
	em, _ := NewEmitter(NewPublisher(js), job.ID, "urn:test", 0)
	emitAll(t, em, &Accepted{}, &Succeeded{})
	store, _ := OpenEnvStore(ctx, js)
	if _, err := store.BumpDesired(ctx, "app-pr-7", false); err != nil {
		t.Fatal(err)
	}
	nc.Close()

	if err := e.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if e.StoreDir() != dir {
		t.Errorf("store dir changed to %s", e.StoreDir())
	}
	_, js = connectJS(t, e)
	s, err := js.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatalf("jobs stream after restart: %v", err)
	}
	if n := s.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("jobs after restart: %d, want 1", n)
	}
	// The duplicate window survives too: the same request is still a duplicate.
	dup, err := NewPublisher(js).PublishJob(ctx, newJob(t, jobs.KindDeploy), key)
	if err != nil || !dup {
		t.Errorf("publish after restart: dup=%v err=%v; want duplicate", dup, err)
	}
	evs, errs := collect(t, ctx, js, job.ID)
	if len(evs) != 2 || len(errs) != 0 {
		t.Errorf("events after restart: %d, %v", len(evs), errs)
	}
	store, err = OpenEnvStore(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	g, err := store.BumpDesired(ctx, "app-pr-7", false)
	if err != nil || g != 2 {
		t.Errorf("generation after restart = %d, %v; want 2", g, err)
	}
	if _, err := OpenLeases(ctx, js); err != nil {
		t.Errorf("locks bucket after restart: %v", err)
	}
}

func TestClusterR3(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	c, err := StartCluster(ctx, ClusterOptions{})
	if err != nil {
		t.Fatalf("StartCluster: %v", err)
	}
	t.Cleanup(c.Close)
	if len(c.URLs()) != 3 {
		t.Fatalf("URLs = %v", c.URLs())
	}
	nc, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	if err := setupWithRetry(ctx, js, SetupOptions{Replicas: 3}); err != nil {
		t.Fatalf("Setup R3: %v", err)
	}
	s, err := js.Stream(ctx, JobsStream)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.CachedInfo().Config.Replicas; r != 3 {
		t.Errorf("replicas %d, want 3", r)
	}
	// Compare-and-set behaves the same on replicated buckets (different server error codes).
	store, err := OpenEnvStore(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan uint64, 6)
	for range 6 {
		go func() {
			g, err := store.BumpDesired(ctx, "app", false)
			if err != nil {
				t.Error(err)
			}
			done <- g
		}()
	}
	seen := map[uint64]bool{}
	for range 6 {
		seen[<-done] = true
	}
	if len(seen) != 6 {
		t.Errorf("R3 generations not distinct: %v", seen)
	}
	l, err := OpenLeases(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Acquire(ctx, "app", "a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(ctx, "app", "b", time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("R3 contention: %v", err)
	}
	if err := l.Release(ctx, a); err != nil {
		t.Error(err)
	}
	if err := l.Release(ctx, a); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("R3 double release: %v", err)
	}
}

// setupWithRetry retries Setup with short attempts while a fresh cluster settles.
func setupWithRetry(ctx context.Context, js jetstream.JetStream, o SetupOptions) error {
	var err error
	for ctx.Err() == nil {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = Setup(actx, js, o)
		cancel()
		if err == nil {
			return nil
		}
	}
	return err
}
