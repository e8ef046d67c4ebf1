package executor

import (
	"context"
	"errors"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
)

var errLeaseLost = errors.New("environment lease lost while the job ran")

// errNotOwner cancels an operation whose job's events another delivery is numbering
// (events.ErrSeqTaken): that delivery speaks for the job now, this one must fall silent.
var errNotOwner = errors.New("another delivery of the job is publishing its events")

// keepAlive sends in-progress acks and renews the lease until stopped, which the caller does
// only once the provider call has returned: a provider that runs its cleanup under
// context.WithoutCancel after opCtx ended (deadline, drain, lease trouble) still owns the
// environment, so the lease must outlive the operation's context. Renewals therefore run under
// context.WithoutCancel(opCtx).
//
// The operation is cancelled when the lease is lost (then keepAlive ends: the lease is
// somebody else's), and also when renewals keep failing until the lease is about to expire:
// past its expiry another worker may take the environment over, so this one must be stopping
// by then. In that second case renewals go on, since a lease nobody took over can still be
// renewed.
func (d *delivery) keepAlive(opCtx context.Context, lease *events.Lease, cancelOp context.CancelCauseFunc) (stop func()) {
	every := d.e.cfg.AckWait / 3
	if lease != nil {
		every = min(every, d.e.cfg.LeaseTTL/3)
	}
	ctx := context.WithoutCancel(opCtx)
	done := make(chan struct{})
	finished := make(chan struct{})
	expiring := false
	// renew renews the lease once; it reports false when the lease is lost and keepAlive must
	// end. tickAt is when the attempt was due: the margin is judged from there, not from when
	// a slow attempt gave up.
	renew := func(tickAt time.Time) bool {
		left := lease.Expires.Sub(tickAt)
		rctx, cancel := context.WithTimeout(ctx, every/3)
		nl, err := d.e.leases.Renew(rctx, *lease, d.e.cfg.LeaseTTL)
		cancel()
		switch {
		case err == nil:
			*lease = nl
		case errors.Is(err, events.ErrLeaseLost):
			d.log.Error().Err(err).Msg("lease lost; cancelling the operation")
			cancelOp(errLeaseLost)
			return false
		case left < every+every/3+every/2:
			// Had this attempt been kept as the last chance, the next one (due a period after
			// this one, bounded by a third of a period) could fail with less than half a
			// period left. Stop the operation now, while the lease still holds, and keep
			// trying to renew. With LeaseTTL = 3 periods one failed renewal is tolerated.
			if !expiring {
				expiring = true
				d.log.Error().Err(err).Time("expires", lease.Expires).Msg("cannot renew lease before it expires; cancelling the operation")
			}
			cancelOp(errLeaseLost)
		default:
			d.log.Warn().Err(err).Msg("renew lease; retrying")
		}
		return true
	}
	// tick sends the in-progress ack and renews the lease; it reports false when keepAlive
	// must end.
	tick := func(tickAt time.Time) bool {
		if err := d.msg.InProgress(); err != nil {
			d.log.Warn().Err(err).Msg("in-progress ack")
		}
		return lease == nil || renew(tickAt)
	}
	loop := func(first time.Time) {
		defer close(finished)
		if !first.IsZero() {
			select {
			case <-done:
				return
			default:
			}
			if !tick(first) {
				return
			}
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var tickAt time.Time
			select {
			case <-done:
				return
			case tickAt = <-t.C:
			}
			if !tick(tickAt) {
				return
			}
		}
	}
	// Steps between Acquire and the provider call (history, supersede check, spec, started
	// event) may have used part of the lease: when more than a period has gone, renew before
	// the provider runs rather than a period later.
	if lease != nil && time.Until(lease.Expires) < d.e.cfg.LeaseTTL-every {
		go func() {
			if !renew(time.Now()) {
				close(finished)
				return
			}
			loop(time.Time{})
		}()
		return func() { close(done); <-finished }
	}
	// Nothing is due before the first period: the loop starts then, so a job that ends sooner
	// (most status jobs) never starts a goroutine.
	timer := time.AfterFunc(every, func() { loop(time.Now()) })
	return func() {
		close(done)
		if timer.Stop() {
			return // the loop never started
		}
		<-finished
	}
}
