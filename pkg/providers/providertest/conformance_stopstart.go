package providertest

import (
	"context"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// needStopStart skips the subtest for a provider without stop/start (UnsupportedStopStart
// covers it instead).
func needStopStart(t *testing.T, p providers.Provider) {
	t.Helper()
	if !p.Capabilities().StopStart {
		t.Skipf("%s does not support stop/start", p.Name())
	}
}

// stopStartOnce stops s (starts it, when start) and wants Status to show it stopped (running).
func (c *conformance) stopStartOnce(t *testing.T, ctx context.Context, p providers.Provider, s *providers.Spec, start bool, what string) {
	t.Helper()
	op, name := p.Stop, "Stop"
	if start {
		op, name = p.Start, "Start"
	}
	if err := c.verb(t, name, func() error { return op(ctx, s) }); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	st := c.status(t, ctx, p, s)
	switch {
	case start && st.State != providers.StateRunning:
		t.Fatalf("Status after %s = %v, want running", what, st.State)
	case !start && !stopped(st.State):
		t.Fatalf("Status after %s = %v, want stopped, suspended or paused (never notdeployed)", what, st.State)
	}
}

func (c *conformance) stopStart(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "stopstart")
	needStopStart(t, p)
	ctx := c.ctx(t)
	wantErrIs(t, "Stop of an absent env", c.verb(t, "Stop", func() error { return p.Stop(ctx, s) }), providers.ErrNotFound)
	wantErrIs(t, "Start of an absent env", c.verb(t, "Start", func() error { return p.Start(ctx, s) }), providers.ErrNotFound)
	c.deploy(t, ctx, p, s, nil)
	inv := c.inventory(t, p, s.Env)
	c.stopStartOnce(t, ctx, p, s, false, "Stop")
	c.stopStartOnce(t, ctx, p, s, false, "Stop of a stopped env")
	c.stopStartOnce(t, ctx, p, s, true, "Start")
	c.stopStartOnce(t, ctx, p, s, true, "Start of a running env")
	if got := c.inventory(t, p, s.Env); len(got) != len(inv) {
		t.Errorf("inventory after stop/start = %v, after Deploy %v", got, inv)
	}
}

func (c *conformance) deployOnStopped(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "deploystopped")
	needStopStart(t, p)
	ctx := c.ctx(t)
	d1, _ := c.deploy(t, ctx, p, s, nil)
	c.stopStartOnce(t, ctx, p, s, false, "Stop")
	d2, _ := c.deploy(t, ctx, p, s, nil)
	if d2.State != providers.StateRunning {
		t.Errorf("Deploy of a stopped env: State = %v, want running", d2.State)
	}
	if d2.Handle != d1.Handle {
		t.Errorf("Deploy of a stopped env: handle %q, want the first one %q (started, not remade)", d2.Handle, d1.Handle)
	}
	c.wantState(t, ctx, p, s, providers.StateRunning)
}

func (c *conformance) stopStartAfterDestroy(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "afterdestroy")
	needStopStart(t, p)
	ctx := c.ctx(t)
	d, _ := c.deploy(t, ctx, p, s, nil)
	c.destroy(t, ctx, p, s)
	ts := teardownSpec(s, d.Handle) // a stale handle must read as "look again"
	wantErrIs(t, "Stop after Destroy", c.verb(t, "Stop", func() error { return p.Stop(ctx, ts) }), providers.ErrNotFound)
	wantErrIs(t, "Start after Destroy", c.verb(t, "Start", func() error { return p.Start(ctx, ts) }), providers.ErrNotFound)
	c.wantState(t, ctx, p, ts, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
}

// unsupportedStopStart checks a provider without stop/start says so from both verbs
// (providers.NoStopStart), whatever the environment's state.
func (c *conformance) unsupportedStopStart(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "nostopstart")
	if p.Capabilities().StopStart {
		t.Skipf("%s supports stop/start", p.Name())
	}
	ctx := c.ctx(t)
	wantErrIs(t, "Stop", p.Stop(ctx, s), providers.ErrUnsupported)
	wantErrIs(t, "Start", p.Start(ctx, s), providers.ErrUnsupported)
}
