package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// sharedLocks is the providers.Locks of one delivery: leases in sindri_locks, held under the
// delivery's holder name (so the other jobs' events can name who they wait for), for
// LeaseTTL and renewed every LeaseTTL/3 until unlocked.
type sharedLocks struct {
	d *delivery
}

var _ providers.Locks = sharedLocks{}

// Lock implements providers.Locks. A held lease is polled every LeaseRetry (jittered), and
// taken over once its holder stopped renewing it past its expiry.
func (l sharedLocks) Lock(ctx context.Context, key string, waiting func(holder string)) (func(), error) {
	e, holder := l.d.e, l.d.holder()
	last := ""
	for {
		lease, err := e.leases.Acquire(ctx, key, holder, e.cfg.LeaseTTL)
		var held *events.LeaseHeldError
		switch {
		case err == nil:
			return l.keep(ctx, lease), nil
		case errors.As(err, &held):
			if held.Holder != last {
				last = held.Holder
				if waiting != nil {
					waiting(held.Holder)
				}
			}
		case errors.Is(err, events.ErrInvalidLease):
			return nil, fmt.Errorf("executor: lock %s: %w: %w", key, err, providers.ErrInvalidSpec)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			l.d.log.Warn().Err(err).Str("lease", key).Msg("take shared lease; retrying")
		}
		if err := ctxwait.Sleep(ctx, jitter(e.cfg.LeaseRetry)); err != nil {
			return nil, err
		}
	}
}

// keep renews lease until the returned unlock, which stops renewing and releases it. A lease
// lost meanwhile (renewals failed past its expiry and another job took it) is logged: the
// step it guarded may then run twice, which it must tolerate.
func (l sharedLocks) keep(ctx context.Context, lease events.Lease) func() {
	e, log := l.d.e, l.d.log.With().Str("lease", lease.Env).Logger()
	rctx := context.WithoutCancel(ctx)
	done, finished := make(chan struct{}), make(chan struct{})
	// The goroutine owns lease until finished is closed; unlock reads it after.
	go func() {
		defer close(finished)
		t := time.NewTicker(e.cfg.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			c, cancel := context.WithTimeout(rctx, e.cfg.LeaseTTL/3)
			nl, err := e.leases.Renew(c, lease, e.cfg.LeaseTTL)
			cancel()
			switch {
			case err == nil:
				lease = nl
			case errors.Is(err, events.ErrLeaseLost):
				log.Error().Err(err).Msg("shared lease lost; another job may run the same step")
				<-done
				return
			default:
				log.Warn().Err(err).Msg("renew shared lease; retrying")
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-finished
			sctx, cancel := settleCtx(rctx)
			defer cancel()
			if err := e.leases.Release(sctx, lease); err != nil && !errors.Is(err, events.ErrLeaseLost) {
				log.Warn().Err(err).Msg("release shared lease")
			}
		})
	}
}
