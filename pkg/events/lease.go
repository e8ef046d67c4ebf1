package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Lease is a held per-environment lock in sindri_locks.
type Lease struct {
	Env      string
	Holder   string
	Acquired time.Time
	Expires  time.Time
	// Revision is the KV revision the holder wrote; Renew and Release compare-and-set on it.
	Revision uint64
}

type leaseValue struct {
	Holder   string    `json:"holder"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// Leases grants per-environment leases over sindri_locks with compare-and-set. A lease lives
// until its stored expiry (after which any holder may take it over) and at most the bucket's
// TTL without renewal (after which the server forgets it). It is safe for concurrent use.
type Leases struct {
	kv        jetstream.KeyValue
	opts      options
	bucketTTL time.Duration
}

// NewLeases returns Leases over an opened sindri_locks bucket. bucketTTL is the bucket's TTL
// (0 = unknown, no check); Acquire refuses a ttl above it.
func NewLeases(kv jetstream.KeyValue, bucketTTL time.Duration, opts ...Option) *Leases {
	return &Leases{kv: kv, opts: buildOptions(opts), bucketTTL: bucketTTL}
}

// BucketTTL returns the sindri_locks bucket TTL the Leases check ttl against (0 = unknown).
func (l *Leases) BucketTTL() time.Duration { return l.bucketTTL }

// OpenLeases opens sindri_locks (created by Setup) and reads its TTL. Errors: the bucket
// lookup error wrapped (jetstream.ErrBucketNotFound when Setup did not run).
func OpenLeases(ctx context.Context, js KeyValueOpener, opts ...Option) (*Leases, error) {
	kv, err := js.KeyValue(ctx, LocksBucket)
	if err != nil {
		return nil, fmt.Errorf("events: open %s: %w", LocksBucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: open %s: %w", LocksBucket, err)
	}
	return NewLeases(kv, st.TTL(), opts...), nil
}

// Acquire takes env's lease for holder for ttl. It succeeds when nobody holds it, when the
// current lease has expired (take-over), or when holder already holds it (then it is renewed).
// Errors: a *LeaseHeldError (ErrLeaseHeld) naming the live holder; ErrInvalidLease for a bad
// ttl (not positive, or above the bucket TTL), env or holder; ctx's or the KV error, wrapped.
func (l *Leases) Acquire(ctx context.Context, env, holder string, ttl time.Duration) (Lease, error) {
	if err := l.checkArgs(env, holder, ttl); err != nil {
		return Lease{}, err
	}
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		cur, rev, err := l.read(ctx, env)
		if err != nil {
			return Lease{}, err
		}
		now := l.opts.now().UTC()
		if cur != nil && cur.Holder != holder && now.Before(cur.Expires) {
			return Lease{}, &LeaseHeldError{Env: env, Holder: cur.Holder, Expires: cur.Expires}
		}
		acquired := now
		if cur != nil && cur.Holder == holder {
			acquired = cur.Acquired
		}
		lease, err := l.write(ctx, env, leaseValue{Holder: holder, Acquired: acquired, Expires: now.Add(ttl)}, rev)
		if err == nil {
			return lease, nil
		}
		if !errors.Is(err, ErrRevisionMismatch) {
			return Lease{}, err
		}
		if err := backoff(ctx, attempt); err != nil {
			return Lease{}, err
		}
	}
	return Lease{}, fmt.Errorf("events: lease %s: %w", env, ErrTooManyConflicts)
}

// Renew extends lease to now+ttl and returns the renewed lease. Errors: ErrLeaseLost when the
// stored lease is no longer lease (expired and taken over, or released); ErrInvalidLease; the KV
// error, wrapped. A lease past its expiry that nobody took over can still be renewed.
//
// A renewal whose reply was lost (a timeout on the client after the server stored it) leaves
// the stored revision ahead of lease.Revision. Renew tells that apart from a take-over by
// reading the stored lease: when it still names lease's holder and acquisition time it is
// lease, renewed by us, and the renewal is written over it.
func (l *Leases) Renew(ctx context.Context, lease Lease, ttl time.Duration) (Lease, error) {
	if err := l.checkArgs(lease.Env, lease.Holder, ttl); err != nil {
		return Lease{}, err
	}
	rev := lease.Revision
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		now := l.opts.now().UTC()
		out, err := l.write(ctx, lease.Env, leaseValue{Holder: lease.Holder, Acquired: lease.Acquired, Expires: now.Add(ttl)}, rev)
		if !errors.Is(err, ErrRevisionMismatch) {
			return out, err
		}
		cur, curRev, err := l.read(ctx, lease.Env)
		if err != nil {
			return Lease{}, err
		}
		if cur == nil || cur.Holder != lease.Holder || !cur.Acquired.Equal(lease.Acquired) {
			return Lease{}, fmt.Errorf("events: renew lease %s for %s: %w", lease.Env, lease.Holder, ErrLeaseLost)
		}
		rev = curRev
	}
	return Lease{}, fmt.Errorf("events: renew lease %s: %w", lease.Env, ErrTooManyConflicts)
}

// Release gives lease up so the next Acquire succeeds at once. Errors: ErrLeaseLost when the
// stored lease is no longer lease (nothing is deleted then); the KV error, wrapped. As for
// Renew, a stored revision ahead of lease.Revision that still names lease's holder and
// acquisition time (a renewal whose reply was lost) is lease and is released.
func (l *Leases) Release(ctx context.Context, lease Lease) error {
	rev := lease.Revision
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		err := l.kv.Delete(ctx, lease.Env, jetstream.LastRevision(rev))
		if err == nil {
			return nil
		}
		if !isCASConflict(err) {
			return fmt.Errorf("events: release lease %s: %w", lease.Env, err)
		}
		cur, curRev, err := l.read(ctx, lease.Env)
		if err != nil {
			return err
		}
		if cur == nil || cur.Holder != lease.Holder || !cur.Acquired.Equal(lease.Acquired) {
			return fmt.Errorf("events: release lease %s for %s: %w", lease.Env, lease.Holder, ErrLeaseLost)
		}
		rev = curRev
	}
	return fmt.Errorf("events: release lease %s: %w", lease.Env, ErrTooManyConflicts)
}

// Current returns env's stored lease and true, or false when there is none. An expired lease
// that the server has not forgotten yet is returned (compare Expires with the time).
// Errors: the KV error, wrapped.
func (l *Leases) Current(ctx context.Context, env string) (Lease, bool, error) {
	v, rev, err := l.read(ctx, env)
	if err != nil || v == nil {
		return Lease{}, false, err
	}
	return Lease{Env: env, Holder: v.Holder, Acquired: v.Acquired, Expires: v.Expires, Revision: rev}, true, nil
}

func (l *Leases) checkArgs(env, holder string, ttl time.Duration) error {
	switch {
	case !jobs.ValidLeaseKey(env):
		return fmt.Errorf("events: lease: invalid environment or image lease key %q: %w", env, ErrInvalidLease)
	case holder == "":
		return fmt.Errorf("events: lease %s: holder is empty: %w", env, ErrInvalidLease)
	case ttl <= 0:
		return fmt.Errorf("events: lease %s: ttl must be positive, got %s: %w", env, ttl, ErrInvalidLease)
	case l.bucketTTL > 0 && ttl > l.bucketTTL:
		return fmt.Errorf("events: lease %s: ttl %s exceeds the %s bucket TTL %s: %w", env, ttl, LocksBucket, l.bucketTTL, ErrInvalidLease)
	}
	return nil
}

// read returns the stored lease (nil when absent) and the revision to compare-and-set on
// (0 when absent).
func (l *Leases) read(ctx context.Context, env string) (*leaseValue, uint64, error) {
	e, err := l.kv.Get(ctx, env)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("events: lease %s: %w", env, err)
	}
	var v leaseValue
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return nil, 0, fmt.Errorf("events: lease %s: decode: %w", env, err)
	}
	return &v, e.Revision(), nil
}

func (l *Leases) write(ctx context.Context, env string, v leaseValue, rev uint64) (Lease, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Lease{}, fmt.Errorf("events: lease %s: encode: %w", env, err)
	}
	var newRev uint64
	if rev == 0 {
		newRev, err = l.kv.Create(ctx, env, b)
	} else {
		newRev, err = l.kv.Update(ctx, env, b, rev)
	}
	if isCASConflict(err) {
		return Lease{}, fmt.Errorf("events: lease %s: %w", env, ErrRevisionMismatch)
	}
	if err != nil {
		return Lease{}, fmt.Errorf("events: lease %s: %w", env, err)
	}
	return Lease{Env: env, Holder: v.Holder, Acquired: v.Acquired, Expires: v.Expires, Revision: newRev}, nil
}
