package providertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// ConformanceConfig tells Conformance how to build the provider under test and its specs.
type ConformanceConfig struct {
	// NewProvider returns the provider under test, wired to its platform (or platform fake).
	// It is called once per subtest.
	NewProvider func(t *testing.T) providers.Provider
	// NewSpec returns a deployable spec for the environment name env.
	NewSpec func(t *testing.T, env string) *providers.Spec
	// Leftovers, when set, lists what still exists on the platform for env (resources the
	// provider made, found by name and label). Conformance requires it to be empty after Destroy
	// and after a cancelled Deploy that reported notdeployed.
	Leftovers func(t *testing.T, p providers.Provider, env string) []string
	// Timeout bounds each operation (default 2 minutes).
	Timeout time.Duration
}

// Conformance runs the behaviours every provider must have as subtests of t:
//   - deploying the same spec twice is one environment and the second Deploy reports Changed false;
//   - destroying twice succeeds, and destroying what never existed succeeds;
//   - Status of nothing is notdeployed with a nil error;
//   - Stop then Start round-trips (skipped when Capabilities().StopStart is false), and both
//     return ErrNotFound for an absent environment;
//   - a Deploy cancelled part-way leaves nothing half-made: Status is notdeployed or running,
//     and a following Destroy removes everything;
//   - Plan has no side effects.
func Conformance(t *testing.T, cfg ConformanceConfig) {
	t.Helper()
	if cfg.NewProvider == nil || cfg.NewSpec == nil {
		t.Fatal("providertest: ConformanceConfig needs NewProvider and NewSpec")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	c := &conformance{cfg: cfg}
	t.Run("DeployTwiceIsOneEnvironment", c.deployTwice)
	t.Run("DestroyTwiceSucceeds", c.destroyTwice)
	t.Run("StatusOfNothingIsNotDeployed", c.statusOfNothing)
	t.Run("StopStartRoundTrip", c.stopStart)
	t.Run("CancelMidDeployLeavesNothingHalfMade", c.cancelMidDeploy)
	t.Run("PlanHasNoSideEffects", c.planNoSideEffects)
}

type conformance struct{ cfg ConformanceConfig }

func envName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "conf-" + prefix + "-" + hex.EncodeToString(b)
}

func (c *conformance) ctx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), c.cfg.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// setup returns the provider, a spec, and registers a Destroy of the env as cleanup.
func (c *conformance) setup(t *testing.T, prefix string) (providers.Provider, *providers.Spec) {
	t.Helper()
	p := c.cfg.NewProvider(t)
	s := c.cfg.NewSpec(t, envName(prefix))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		defer cancel()
		if err := p.Destroy(ctx, s); err != nil {
			t.Errorf("cleanup: Destroy(%s): %v", s.Env, err)
		}
	})
	return p, s
}

func (c *conformance) wantState(t *testing.T, ctx context.Context, p providers.Provider, s *providers.Spec, want providers.State) {
	t.Helper()
	st, err := p.Status(ctx, s)
	if err != nil {
		t.Fatalf("Status(%s): %v", s.Env, err)
	}
	if st.State != want {
		t.Fatalf("Status(%s).State = %v, want %v", s.Env, st.State, want)
	}
}

func (c *conformance) wantNoLeftovers(t *testing.T, p providers.Provider, env string) {
	t.Helper()
	if c.cfg.Leftovers == nil {
		return
	}
	if left := c.cfg.Leftovers(t, p, env); len(left) > 0 {
		t.Fatalf("leftovers of %s on the platform: %v", env, left)
	}
}

func (c *conformance) deployTwice(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "twice")
	ctx := c.ctx(t)
	d1, err := p.Deploy(ctx, s, providers.NopReporter{})
	if err != nil {
		t.Fatalf("first Deploy: %v", err)
	}
	if !d1.Changed {
		t.Errorf("first Deploy: Changed = false, want true")
	}
	if d1.State != providers.StateRunning {
		t.Errorf("first Deploy: State = %v, want running", d1.State)
	}
	d2, err := p.Deploy(ctx, s, providers.NopReporter{})
	if err != nil {
		t.Fatalf("second Deploy: %v", err)
	}
	if d2.Changed {
		t.Errorf("second Deploy of the same spec: Changed = true, want false")
	}
	if d1.Handle != d2.Handle {
		t.Errorf("second Deploy handle = %q, want the first one %q (one environment)", d2.Handle, d1.Handle)
	}
	c.wantState(t, ctx, p, s, providers.StateRunning)
}

func (c *conformance) destroyTwice(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "destroy")
	ctx := c.ctx(t)
	if err := p.Destroy(ctx, s); err != nil {
		t.Fatalf("Destroy of an environment that never existed: %v, want nil", err)
	}
	if _, err := p.Deploy(ctx, s, providers.NopReporter{}); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	for i := 1; i <= 2; i++ {
		if err := p.Destroy(ctx, s); err != nil {
			t.Fatalf("Destroy #%d: %v", i, err)
		}
	}
	c.wantState(t, ctx, p, s, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
}

func (c *conformance) statusOfNothing(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "status")
	c.wantState(t, c.ctx(t), p, s, providers.StateNotDeployed)
}

func (c *conformance) stopStart(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "stopstart")
	if !p.Capabilities().StopStart {
		t.Skipf("%s does not support stop/start", p.Name())
	}
	ctx := c.ctx(t)
	if err := p.Stop(ctx, s); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Stop of absent env: %v, want ErrNotFound", err)
	}
	if err := p.Start(ctx, s); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Start of absent env: %v, want ErrNotFound", err)
	}
	if _, err := p.Deploy(ctx, s, providers.NopReporter{}); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if err := p.Stop(ctx, s); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st, err := p.Status(ctx, s)
	if err != nil {
		t.Fatalf("Status after Stop: %v", err)
	}
	switch st.State {
	case providers.StateStopped, providers.StateSuspended, providers.StatePaused:
	default:
		t.Fatalf("Status after Stop = %v, want stopped, suspended or paused", st.State)
	}
	if err := p.Start(ctx, s); err != nil {
		t.Fatalf("Start: %v", err)
	}
	c.wantState(t, ctx, p, s, providers.StateRunning)
}

// cancelReporter cancels the operation at the first sign of progress, i.e. part-way through.
type cancelReporter struct {
	once   sync.Once
	cancel context.CancelFunc
}

func (r *cancelReporter) Log(string)                { r.once.Do(r.cancel) }
func (r *cancelReporter) Progress(string, int, int) { r.once.Do(r.cancel) }

func (c *conformance) cancelMidDeploy(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "cancel")
	ctx := c.ctx(t)
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := p.Deploy(dctx, s, &cancelReporter{cancel: cancel})
	if err == nil {
		t.Logf("Deploy finished despite cancellation (state %v); allowed", d.State)
	} else if dctx.Err() == nil {
		t.Fatalf("Deploy failed before it was cancelled: %v", err)
	}
	st, err := p.Status(ctx, s)
	if err != nil {
		t.Fatalf("Status after cancelled Deploy: %v", err)
	}
	switch st.State {
	case providers.StateNotDeployed:
		c.wantNoLeftovers(t, p, s.Env)
	case providers.StateRunning:
	default:
		t.Logf("cancelled Deploy left state %v; it must be cleaned by Destroy", st.State)
	}
	if err := p.Destroy(ctx, s); err != nil {
		t.Fatalf("Destroy after cancelled Deploy: %v", err)
	}
	c.wantState(t, ctx, p, s, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
	// And the environment can still be made afterwards: nothing stale blocks find-or-create.
	if _, err := p.Deploy(ctx, s, providers.NopReporter{}); err != nil {
		t.Fatalf("Deploy after cancel and Destroy: %v", err)
	}
	c.wantState(t, ctx, p, s, providers.StateRunning)
}

func (c *conformance) planNoSideEffects(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "plan")
	ctx := c.ctx(t)
	pl, err := p.Plan(ctx, s)
	if err != nil {
		t.Fatalf("Plan of a new env: %v", err)
	}
	if len(pl.Actions) == 0 {
		t.Errorf("Plan of a new env has no actions")
	}
	c.wantState(t, ctx, p, s, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
	d, err := p.Deploy(ctx, s, providers.NopReporter{})
	if err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	if _, err := p.Plan(ctx, s); err != nil {
		t.Fatalf("Plan of a deployed env: %v", err)
	}
	c.wantState(t, ctx, p, s, providers.StateRunning)
	d2, err := p.Deploy(ctx, s, providers.NopReporter{})
	if err != nil {
		t.Fatalf("Deploy after Plan: %v", err)
	}
	if d2.Changed || d2.Handle != d.Handle {
		t.Errorf("Deploy after Plan: Changed=%v handle %q (first %q); Plan must not have changed anything", d2.Changed, d2.Handle, d.Handle)
	}
}
