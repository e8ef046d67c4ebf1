package providertest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// cancelAtStep cancels the operation when the provider reports its k-th Progress step, so a
// sweep over k interrupts a Deploy between every pair of its steps.
type cancelAtStep struct {
	k      int
	cancel context.CancelFunc

	mu   sync.Mutex
	seen int
}

func (r *cancelAtStep) Log(string) {}

func (r *cancelAtStep) Progress(string, int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen++
	if r.seen == r.k {
		r.cancel()
	}
}

func (r *cancelAtStep) reached() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen >= r.k
}

// cancelSweep cancels a Deploy at each Progress step k = 1..CancelSweep, each on its own
// environment. Afterwards either nothing is left (Status notdeployed, no leftovers), or what is
// left is findable: Status shows it, or the Deploy returned a *providers.PartialError; then a
// Destroy with no Config (the reaper's case) removes it. The environment can be made again.
func (c *conformance) cancelSweep(t *testing.T) {
	t.Parallel()
	for k := 1; k <= c.cfg.CancelSweep; k++ {
		t.Run("step"+strconv.Itoa(k), func(t *testing.T) {
			t.Parallel()
			c.cancelAt(t, k)
		})
	}
}

func (c *conformance) cancelAt(t *testing.T, k int) {
	p, s := c.setup(t, "cancel"+strconv.Itoa(k))
	ctx := c.ctx(t)
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &cancelAtStep{k: k, cancel: cancel}
	d, err := p.Deploy(dctx, s, r)
	handle := ""
	switch {
	case err == nil && !r.reached():
		t.Logf("Deploy finished in fewer than %d steps; nothing to cancel", k)
		handle = d.Handle
	case err == nil:
		t.Logf("Deploy finished despite cancellation at step %d (state %v); allowed", k, d.State)
		handle = d.Handle
	case dctx.Err() == nil && !(c.faultsOn() && providers.IsRetryable(err)):
		t.Fatalf("Deploy failed before it was cancelled at step %d: %v", k, err)
	}
	var pe *providers.PartialError
	partial := errors.As(err, &pe)
	if partial {
		handle = pe.Handle
		if len(pe.Remaining) == 0 {
			t.Errorf("PartialError names nothing left: %v", err)
		}
	}
	ts := teardownSpec(s, handle)
	st := c.status(t, ctx, p, ts)
	left := c.leftovers(t, p, s.Env)
	switch {
	case st.State == providers.StateNotDeployed && len(left) == 0:
	case st.State == providers.StateNotDeployed && !partial:
		t.Fatalf("Deploy cancelled at step %d left %v that Status (notdeployed) does not find and no PartialError names: half-made and unrecorded", k, left)
	default:
		t.Logf("Deploy cancelled at step %d left state %v (%v); Destroy without config must remove it", k, st.State, left)
	}
	c.destroy(t, ctx, p, ts)
	c.wantState(t, ctx, p, ts, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
	// Nothing stale blocks find-or-create afterwards.
	c.deploy(t, ctx, p, s, nil)
	c.wantState(t, ctx, p, s, providers.StateRunning)
}
