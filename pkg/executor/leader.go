package executor

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/events"
)

// leaderElectedSubject is the JetStream advisory published when a consumer of SINDRI_JOBS gets
// a new leader (the last token is the consumer's name).
const leaderElectedSubject = "$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED." + events.JobsStream + ".*"

// leaderWatch ends the fetches in flight when a consumer of SINDRI_JOBS gets a new leader, or
// the connection comes back after a reconnect (an advisory sent meanwhile is missed). A pull
// request lives on the consumer's leader: when that server goes, the request goes with it, and
// without this the fetch would wait out its expiry (fetchWait) before asking the new leader. A
// nil *leaderWatch (the advisory subscription failed, e.g. no permission on
// $JS.EVENT.ADVISORY.>) leaves fetches to their expiry.
type leaderWatch struct {
	nc     *nats.Conn
	sub    *nats.Subscription
	status chan nats.Status
	done   chan struct{}

	mu      sync.Mutex
	elected chan struct{} // closed, and replaced, on each election or reconnect
}

// watchLeaders subscribes to the consumers' leader-elected advisories and the reconnects of
// nc; nil when it cannot.
func watchLeaders(nc *nats.Conn) *leaderWatch {
	if nc == nil {
		return nil
	}
	w := &leaderWatch{nc: nc, elected: make(chan struct{}), done: make(chan struct{})}
	sub, err := nc.Subscribe(leaderElectedSubject, func(*nats.Msg) { w.changed() })
	if err != nil {
		return nil
	}
	w.sub = sub
	w.status = nc.StatusChanged(nats.CONNECTED)
	go func() {
		defer close(w.done)
		for range w.status {
			w.changed()
		}
	}()
	return w
}

// changed ends the fetches started before it.
func (w *leaderWatch) changed() {
	w.mu.Lock()
	close(w.elected)
	w.elected = make(chan struct{})
	w.mu.Unlock()
}

func (w *leaderWatch) stop() {
	if w == nil {
		return
	}
	_ = w.sub.Unsubscribe()
	w.nc.RemoveStatusListener(w.status)
	<-w.done
}

// fetchContext returns the context of one fetch: it ends after wait, when ctx does, or when a
// consumer leader is elected meanwhile (errFetchLeader reports which).
func (w *leaderWatch) fetchContext(ctx context.Context, wait time.Duration) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithTimeout(ctx, wait)
	if w == nil {
		return fctx, cancel
	}
	lctx, lcancel := context.WithCancelCause(fctx)
	w.mu.Lock()
	elected := w.elected
	w.mu.Unlock()
	go func() {
		select {
		case <-elected:
			lcancel(errLeaderElected)
		case <-lctx.Done():
		}
	}()
	return lctx, func() { lcancel(nil); cancel() }
}

// sleep waits d, or less when a consumer leader is elected (or the connection is back)
// meanwhile: a fetch that failed for want of a leader is sent again as soon as there is one.
// It returns ctx's error when ctx ends first.
func (w *leaderWatch) sleep(ctx context.Context, d time.Duration) error {
	if w == nil {
		return ctxwait.Sleep(ctx, d)
	}
	wctx, cancel := w.fetchContext(ctx, d)
	defer cancel()
	<-wctx.Done()
	return ctx.Err()
}

// errLeaderElected is the cause of a fetch ended by a consumer leader election.
var errLeaderElected = errors.New("a consumer leader was elected")

// fetchEndedByElection reports whether the fetch under fctx was ended by an election (and is to
// be sent again at once, to the new leader), not by a failure.
func fetchEndedByElection(fctx context.Context) bool {
	return context.Cause(fctx) == errLeaderElected
}
