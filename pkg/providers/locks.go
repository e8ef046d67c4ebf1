package providers

import "context"

// Locks takes leases on keys that jobs of several environments share, for one step of a job:
// a VM image that two environments' deploys would both build when it is missing is built by
// one of them while the others wait. The executor fills Spec.Locks with its lease store
// (the same on the embedded bus of `sindri-action local` and on a shared NATS cluster); a
// nil Spec.Locks means the caller runs alone (a provider used directly, a test), and a
// provider then takes no lock.
type Locks interface {
	// Lock takes key's lease for the calling job and returns the function that gives it up
	// (call it once the shared step is done; it never fails: an error is logged). While
	// another job holds the lease, Lock waits, calling waiting with the holder's name when
	// the wait begins and whenever the holder changes. The lease is renewed until unlock; a
	// holder that dies stops renewing, so its lease expires and a waiter takes it over.
	// key must be a lease key: "image." followed by a DNS-1123 label of at most 63
	// characters. Errors: ctx's error when it ends first; an error wrapping ErrInvalidSpec
	// for a bad key; others (the lease store unreachable) wrap ErrUnavailable.
	Lock(ctx context.Context, key string, waiting func(holder string)) (unlock func(), err error)
}
