package events

import (
	"errors"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLeases(t *testing.T) (*Leases, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	l, err := OpenLeases(testCtx(t), newBus(t), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return l, clock
}

func TestLeaseLifecycle(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	l, clock := newLeases(t)
	a, err := l.Acquire(ctx, "app-pr-1", "worker-a/job-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if a.Holder != "worker-a/job-1" || !a.Expires.Equal(clock.Now().Add(time.Minute)) || a.Revision == 0 {
		t.Errorf("lease %+v", a)
	}

	// Contention: a second holder is refused and told who holds it.
	_, err = l.Acquire(ctx, "app-pr-1", "worker-b/job-2", time.Minute)
	var held *LeaseHeldError
	if !errors.Is(err, ErrLeaseHeld) || !errors.As(err, &held) || held.Holder != "worker-a/job-1" || !held.Expires.Equal(a.Expires) {
		t.Fatalf("contended Acquire: %v", err)
	}
	// Other environments are independent.
	if _, err := l.Acquire(ctx, "app-pr-2", "worker-b/job-2", time.Minute); err != nil {
		t.Errorf("other env: %v", err)
	}

	// Renew moves the expiry; the renewed lease is still exclusive.
	clock.Advance(50 * time.Second)
	a2, err := l.Renew(ctx, a, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !a2.Expires.Equal(clock.Now().Add(time.Minute)) || a2.Revision <= a.Revision || !a2.Acquired.Equal(a.Acquired) {
		t.Errorf("renewed %+v from %+v", a2, a)
	}
	clock.Advance(30 * time.Second) // past the first expiry, inside the renewed one
	if _, err := l.Acquire(ctx, "app-pr-1", "worker-b/job-2", time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("Acquire inside the renewed lease: %v", err)
	}
	// A stale revision of one's own lease (a renewal whose reply was lost) is still one's own:
	// renewing and releasing it work (TestLeaseRenewAfterLostReply).
	a3, err := l.Renew(ctx, a, time.Minute)
	if err != nil || a3.Revision <= a2.Revision {
		t.Errorf("Renew with a stale revision of one's own lease: %+v, %v", a3, err)
	}

	// Release lets the next holder in at once.
	if err := l.Release(ctx, a2); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := l.Current(ctx, "app-pr-1"); ok {
		t.Error("lease still stored after Release")
	}
	b, err := l.Acquire(ctx, "app-pr-1", "worker-b/job-2", time.Minute)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	// Releasing or renewing the released lease is a lost lease, and does not disturb b.
	if err := l.Release(ctx, a2); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("double Release: %v", err)
	}
	if _, err := l.Renew(ctx, a2, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Renew after Release: %v", err)
	}
	cur, ok, err := l.Current(ctx, "app-pr-1")
	if err != nil || !ok || cur.Holder != b.Holder || cur.Revision != b.Revision {
		t.Errorf("Current = %+v, %v, %v; want b", cur, ok, err)
	}
}

func TestLeaseExpiryTakeover(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	l, clock := newLeases(t)
	a, err := l.Acquire(ctx, "app", "dead-worker", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(31 * time.Second) // the holder died and stopped renewing
	b, err := l.Acquire(ctx, "app", "live-worker", time.Minute)
	if err != nil {
		t.Fatalf("take-over of an expired lease: %v", err)
	}
	if !b.Acquired.Equal(clock.Now()) {
		t.Errorf("take-over kept the old acquisition time: %+v", b)
	}
	// The old holder wakes up: it has lost the lease and cannot release the new one.
	if _, err := l.Renew(ctx, a, time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Renew by the old holder: %v", err)
	}
	if err := l.Release(ctx, a); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Release by the old holder: %v", err)
	}
	if cur, _, _ := l.Current(ctx, "app"); cur.Holder != "live-worker" {
		t.Errorf("holder %q", cur.Holder)
	}
}

func TestLeaseReacquireBySameHolder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	l, clock := newLeases(t)
	a, _ := l.Acquire(ctx, "app", "w", time.Minute)
	clock.Advance(10 * time.Second)
	b, err := l.Acquire(ctx, "app", "w", time.Minute)
	if err != nil || !b.Acquired.Equal(a.Acquired) || !b.Expires.After(a.Expires) {
		t.Errorf("re-acquire = %+v, %v", b, err)
	}
}

func TestLeaseContentionOneWinner(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	l, _ := newLeases(t)
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = l.Acquire(ctx, "app", "w"+string(rune('a'+i)), time.Minute)
		})
	}
	wg.Wait()
	winners := 0
	for _, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, ErrLeaseHeld):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if winners != 1 {
		t.Errorf("%d holders got the lease, want exactly 1", winners)
	}
}

func TestLeaseArgs(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	l, _ := newLeases(t)
	for name, f := range map[string]func() error{
		"ttl above bucket TTL": func() error { _, err := l.Acquire(ctx, "app", "w", DefaultLockTTL+time.Second); return err },
		"zero ttl":             func() error { _, err := l.Acquire(ctx, "app", "w", 0); return err },
		"no holder":            func() error { _, err := l.Acquire(ctx, "app", "", time.Minute); return err },
		"bad env":              func() error { _, err := l.Acquire(ctx, "a.b", "w", time.Minute); return err },
	} {
		if err := f(); !errors.Is(err, ErrInvalidLease) {
			t.Errorf("%s: err = %v, want ErrInvalidLease (a request that can never succeed)", name, err)
		}
	}
	if got := l.BucketTTL(); got != DefaultLockTTL {
		t.Errorf("BucketTTL = %s, want %s", got, DefaultLockTTL)
	}
}

// A renewal stored by the server whose reply the holder never saw (a client-side timeout)
// must not make the holder's next renewal report the lease lost: the lease is still its own.
func TestLeaseRenewAfterLostReply(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	l, clock := newLeases(t)
	a, err := l.Acquire(ctx, "app", "worker-a/job-1", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	if _, err := l.Renew(ctx, a, 30*time.Second); err != nil { // stored; its reply "lost"
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	again, err := l.Renew(ctx, a, 30*time.Second) // still holding the old revision
	if err != nil {
		t.Fatalf("renewal after a lost reply: %v, want success", err)
	}
	if !again.Expires.Equal(clock.Now().Add(30*time.Second)) || !again.Acquired.Equal(a.Acquired) {
		t.Errorf("renewed lease %+v", again)
	}
	if _, err := l.Acquire(ctx, "app", "worker-b/job-2", time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("another holder during the renewed lease: %v, want ErrLeaseHeld", err)
	}
	// Released and taken by someone else: the stale lease is lost, whatever its revision.
	if err := l.Release(ctx, again); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire(ctx, "app", "worker-b/job-2", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Renew(ctx, a, 30*time.Second); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("renewal of a lease taken over: %v, want ErrLeaseLost", err)
	}
}
