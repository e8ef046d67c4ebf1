package providertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
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
	// Inventory, when set, lists the platform objects that make up env by identity (ids, not
	// names: a second copy made under the same name must show). Deploying the same spec twice
	// must leave it equal, and an update in place must not make it grow. Leftovers is often
	// the same function.
	Inventory func(t *testing.T, p providers.Provider, env string) []string
	// ChangeSpec changes s so that Deploy must update the environment in place (an env var, a
	// label, a size). Default: a new providers.LabelSHA value.
	ChangeSpec func(t *testing.T, s *providers.Spec)
	// Faults, when set, makes this a "faults on" run: after each subtest's setup it is called
	// with that subtest's provider, switches the platform (or its client) to inject transient
	// faults at a low rate (429/5xx, dropped connections, "applied but the response was lost"),
	// and returns the function that switches them off again, which the suite calls before its
	// cleanup. Operations that fail with a providers.IsRetryable error are then retried, as the
	// executor's redelivery would, and the suite asserts they converge. The top-level test's
	// name must contain "Fault" (TestConformanceFaultsDocker), so that runs can be selected.
	Faults func(t *testing.T, p providers.Provider) (off func())
	// RetryTransient bounds the attempts per operation in a faults-on run (default 12). With
	// faults off no error is retried.
	RetryTransient int
	// CancelSweep is how many Deploys are cancelled, one at each Progress step k = 1..CancelSweep
	// (default 8). A Deploy that finishes before its k-th step ends the sweep's check for k.
	CancelSweep int
	// Timeout bounds each operation (default 2 minutes).
	Timeout time.Duration
	// Persistence, when set, checks that Stop and Start keep the home volume's content
	// (conformance_persist.go).
	Persistence *Persistence
}

// Conformance runs the behaviours every provider must have as parallel subtests of t:
//   - deploying the same spec twice is one environment (Inventory equal) and the second Deploy
//     reports Changed false; a changed spec is updated in place;
//   - destroying twice succeeds, and destroying what never existed succeeds;
//   - Status of nothing is notdeployed with a nil error;
//   - Stop and Start round-trip, twice each, a stopped environment is not notdeployed, Deploy
//     starts a stopped one, and after Destroy both return ErrNotFound (when
//     Capabilities().StopStart is false, both must return ErrUnsupported instead);
//   - with Persistence set, a marker written into the home volume before Stop is read back
//     after Start (or, against a fake, the same volume is attached again);
//   - Status, Stop, Start and Destroy work with no Config, from Env, Labels and the handle;
//   - a Deploy cancelled at each Progress step leaves nothing, or something that Status finds
//     (or a *providers.PartialError names) and a Destroy without Config removes;
//   - Plan has no side effects;
//   - a providers.Lister sees the environment with its expires-at label;
//   - no secret or credential value appears in a Plan, Deployment, Status, error or Reporter line.
//
// With cfg.Faults set the whole suite runs with the platform's faults on (see Faults).
func Conformance(t *testing.T, cfg ConformanceConfig) {
	t.Helper()
	if cfg.NewProvider == nil || cfg.NewSpec == nil {
		t.Fatal("providertest: ConformanceConfig needs NewProvider and NewSpec")
	}
	if cfg.Faults != nil && !strings.Contains(t.Name(), "Fault") {
		t.Fatalf("providertest: a faults-on run must be named for it (got %s; want e.g. TestConformanceFaults<Provider>)", t.Name())
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.RetryTransient <= 0 {
		cfg.RetryTransient = 12
	}
	if cfg.CancelSweep <= 0 {
		cfg.CancelSweep = 8
	}
	if cfg.ChangeSpec == nil {
		cfg.ChangeSpec = func(_ *testing.T, s *providers.Spec) { setLabel(s, providers.LabelSHA, randomHex(8)) }
	}
	c := &conformance{cfg: cfg}
	t.Run("DeployTwiceIsOneEnvironment", c.deployTwice)
	t.Run("ChangedSpecUpdatesInPlace", c.changedSpec)
	t.Run("DestroyTwiceSucceeds", c.destroyTwice)
	t.Run("StatusOfNothingIsNotDeployed", c.statusOfNothing)
	t.Run("StopStartRoundTrip", c.stopStart)
	t.Run("DeployOnStoppedStartsIt", c.deployOnStopped)
	t.Run("StopKeepsHomeVolume", c.stopKeepsState)
	t.Run("StopStartAfterDestroyNotFound", c.stopStartAfterDestroy)
	t.Run("UnsupportedStopStart", c.unsupportedStopStart)
	t.Run("TeardownWithoutConfig", c.teardownWithoutConfig)
	t.Run("CancelMidDeployLeavesNothingHalfMade", c.cancelSweep)
	t.Run("PlanHasNoSideEffects", c.planNoSideEffects)
	t.Run("ListerSeesEnv", c.listerSeesEnv)
	t.Run("SecretCanary", c.secretCanary)
}

type conformance struct{ cfg ConformanceConfig }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func envName(prefix string) string { return "conf-" + prefix + "-" + randomHex(4) }

func setLabel(s *providers.Spec, k, v string) {
	l := maps.Clone(s.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[k] = v
	s.Labels = l
}

func (c *conformance) faultsOn() bool { return c.cfg.Faults != nil }

func (c *conformance) ctx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), c.cfg.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// setup returns the provider and a spec, registers a Destroy of the env as cleanup and, in a
// faults-on run, switches the faults on (and off again before that cleanup).
func (c *conformance) setup(t *testing.T, prefix string) (providers.Provider, *providers.Spec) {
	t.Helper()
	p := c.cfg.NewProvider(t)
	s := c.cfg.NewSpec(t, envName(prefix))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		defer cancel()
		if err := p.Destroy(ctx, teardownSpec(s, "")); err != nil {
			t.Errorf("cleanup: Destroy(%s): %v", s.Env, err)
		}
	})
	if c.faultsOn() {
		off := c.cfg.Faults(t, p)
		t.Cleanup(off) // cleanups run last-in first-out: faults go off before the Destroy
	}
	return p, s
}

// teardownSpec is what a teardown verb may rely on: Env, Labels and the handle, no Config and
// no image (the reaper's case).
func teardownSpec(s *providers.Spec, handle string) *providers.Spec {
	h, err := providers.ParseHandle(handle)
	if err != nil {
		h = nil
	}
	return &providers.Spec{Env: s.Env, Labels: maps.Clone(s.Labels), Handle: h, Options: s.Options}
}

// attempt runs op once, or in a faults-on run until it returns no retryable error (bounded by
// RetryTransient), waiting what the error asks for, as a redelivery would. It returns the
// result, the number of attempts and the last error.
func attempt[T any](t *testing.T, c *conformance, what string, op func() (T, error)) (T, int, error) {
	t.Helper()
	var zero T
	for n := 1; ; n++ {
		v, err := op()
		if err == nil || !c.faultsOn() || !providers.IsRetryable(err) {
			return v, n, err
		}
		if n >= c.cfg.RetryTransient {
			return zero, n, err
		}
		t.Logf("%s: attempt %d: retryable: %v", what, n, err)
		wait := min(max(providers.RetryAfterOf(err), 10*time.Millisecond), time.Second)
		if err := ctxwait.Sleep(t.Context(), wait); err != nil {
			return zero, n, err
		}
	}
}

// noResult adapts an operation without a result for attempt.
func noResult(op func() error) func() (struct{}, error) {
	return func() (struct{}, error) { return struct{}{}, op() }
}

func (c *conformance) deploy(t *testing.T, ctx context.Context, p providers.Provider, s *providers.Spec, r providers.Reporter) (*providers.Deployment, int) {
	t.Helper()
	if r == nil {
		r = providers.NopReporter{}
	}
	d, n, err := attempt(t, c, "Deploy", func() (*providers.Deployment, error) { return p.Deploy(ctx, s, r) })
	if err != nil {
		t.Fatalf("Deploy(%s) (%d attempts): %v", s.Env, n, err)
	}
	return d, n
}

func (c *conformance) destroy(t *testing.T, ctx context.Context, p providers.Provider, s *providers.Spec) {
	t.Helper()
	if _, n, err := attempt(t, c, "Destroy", noResult(func() error { return p.Destroy(ctx, s) })); err != nil {
		t.Fatalf("Destroy(%s) (%d attempts): %v", s.Env, n, err)
	}
}

func (c *conformance) verb(t *testing.T, name string, op func() error) error {
	t.Helper()
	_, _, err := attempt(t, c, name, noResult(op))
	return err
}

func (c *conformance) status(t *testing.T, ctx context.Context, p providers.Provider, s *providers.Spec) *providers.Status {
	t.Helper()
	st, n, err := attempt(t, c, "Status", func() (*providers.Status, error) { return p.Status(ctx, s) })
	if err != nil {
		t.Fatalf("Status(%s) (%d attempts): %v", s.Env, n, err)
	}
	return st
}

func (c *conformance) wantState(t *testing.T, ctx context.Context, p providers.Provider, s *providers.Spec, want providers.State) {
	t.Helper()
	if st := c.status(t, ctx, p, s); st.State != want {
		t.Fatalf("Status(%s).State = %v, want %v", s.Env, st.State, want)
	}
}

func (c *conformance) wantNoLeftovers(t *testing.T, p providers.Provider, env string) {
	t.Helper()
	if left := c.leftovers(t, p, env); len(left) > 0 {
		t.Fatalf("leftovers of %s on the platform: %v", env, left)
	}
}

func (c *conformance) leftovers(t *testing.T, p providers.Provider, env string) []string {
	t.Helper()
	if c.cfg.Leftovers == nil {
		return nil
	}
	return c.cfg.Leftovers(t, p, env)
}

func (c *conformance) inventory(t *testing.T, p providers.Provider, env string) []string {
	t.Helper()
	if c.cfg.Inventory == nil {
		return nil
	}
	inv := slices.Clone(c.cfg.Inventory(t, p, env))
	slices.Sort(inv)
	return inv
}

func stopped(s providers.State) bool {
	return s == providers.StateStopped || s == providers.StateSuspended || s == providers.StatePaused
}

func (c *conformance) deployTwice(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "twice")
	ctx := c.ctx(t)
	d1, n := c.deploy(t, ctx, p, s, nil)
	// A first attempt that applied and lost its response is retried into Changed false.
	if !d1.Changed && n == 1 {
		t.Errorf("first Deploy: Changed = false, want true")
	}
	if d1.State != providers.StateRunning {
		t.Errorf("first Deploy: State = %v, want running", d1.State)
	}
	inv1 := c.inventory(t, p, s.Env)
	d2, _ := c.deploy(t, ctx, p, s, nil)
	if d2.Changed {
		t.Errorf("second Deploy of the same spec: Changed = true, want false")
	}
	if d1.Handle != d2.Handle {
		t.Errorf("second Deploy handle = %q, want the first one %q (one environment)", d2.Handle, d1.Handle)
	}
	if inv2 := c.inventory(t, p, s.Env); !slices.Equal(inv1, inv2) {
		t.Errorf("inventory after the second Deploy = %v, want the first one %v (one environment)", inv2, inv1)
	}
	c.wantState(t, ctx, p, s, providers.StateRunning)
}

func (c *conformance) changedSpec(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "change")
	ctx := c.ctx(t)
	c.deploy(t, ctx, p, s, nil)
	inv1 := c.inventory(t, p, s.Env)
	changed := *s
	c.cfg.ChangeSpec(t, &changed)
	d, n := c.deploy(t, ctx, p, &changed, nil)
	if !d.Changed && n == 1 {
		t.Errorf("Deploy of a changed spec: Changed = false, want true")
	}
	if d.State != providers.StateRunning {
		t.Errorf("Deploy of a changed spec: State = %v, want running", d.State)
	}
	if inv2 := c.inventory(t, p, s.Env); len(inv2) != len(inv1) {
		t.Errorf("inventory after an update = %v, before %v: an update is in place, one environment", inv2, inv1)
	}
	c.wantState(t, ctx, p, &changed, providers.StateRunning)
	if d2, _ := c.deploy(t, ctx, p, &changed, nil); d2.Changed {
		t.Errorf("Deploy of the changed spec again: Changed = true, want false")
	}
}

func (c *conformance) destroyTwice(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "destroy")
	ctx := c.ctx(t)
	c.destroy(t, ctx, p, s)
	c.deploy(t, ctx, p, s, nil)
	for i := 1; i <= 2; i++ {
		if err := c.verb(t, "Destroy", func() error { return p.Destroy(ctx, s) }); err != nil {
			t.Fatalf("Destroy #%d: %v", i, err)
		}
	}
	c.wantState(t, ctx, p, s, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
}

func (c *conformance) statusOfNothing(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "status")
	ctx := c.ctx(t)
	c.wantState(t, ctx, p, s, providers.StateNotDeployed)
	c.wantState(t, ctx, p, teardownSpec(s, ""), providers.StateNotDeployed)
}

// teardownWithoutConfig runs every teardown verb with what the reaper has: Env, Labels and the
// handle Deploy returned.
func (c *conformance) teardownWithoutConfig(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "noconfig")
	ctx := c.ctx(t)
	d, _ := c.deploy(t, ctx, p, s, nil)
	if d.Handle != "" {
		if _, err := providers.ParseHandle(d.Handle); err != nil {
			t.Errorf("Deployment.Handle %q: %v", d.Handle, err)
		}
	}
	ts := teardownSpec(s, d.Handle)
	c.wantState(t, ctx, p, ts, providers.StateRunning)
	if p.Capabilities().StopStart {
		if err := c.verb(t, "Stop", func() error { return p.Stop(ctx, ts) }); err != nil {
			t.Fatalf("Stop without config: %v", err)
		}
		if st := c.status(t, ctx, p, ts); !stopped(st.State) {
			t.Fatalf("Status without config after Stop = %v, want stopped, suspended or paused", st.State)
		}
		if err := c.verb(t, "Start", func() error { return p.Start(ctx, ts) }); err != nil {
			t.Fatalf("Start without config: %v", err)
		}
		c.wantState(t, ctx, p, ts, providers.StateRunning)
	}
	c.destroy(t, ctx, p, ts)
	c.wantState(t, ctx, p, ts, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
}

func (c *conformance) planNoSideEffects(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "plan")
	ctx := c.ctx(t)
	pl, _, err := attempt(t, c, "Plan", func() (*providers.Plan, error) { return p.Plan(ctx, s) })
	if err != nil {
		t.Fatalf("Plan of a new env: %v", err)
	}
	if len(pl.Actions) == 0 {
		t.Errorf("Plan of a new env has no actions")
	}
	c.wantState(t, ctx, p, s, providers.StateNotDeployed)
	c.wantNoLeftovers(t, p, s.Env)
	d, _ := c.deploy(t, ctx, p, s, nil)
	inv := c.inventory(t, p, s.Env)
	if _, _, err := attempt(t, c, "Plan", func() (*providers.Plan, error) { return p.Plan(ctx, s) }); err != nil {
		t.Fatalf("Plan of a deployed env: %v", err)
	}
	c.wantState(t, ctx, p, s, providers.StateRunning)
	if got := c.inventory(t, p, s.Env); !slices.Equal(got, inv) {
		t.Errorf("inventory after Plan = %v, want %v", got, inv)
	}
	d2, _ := c.deploy(t, ctx, p, s, nil)
	if d2.Changed || d2.Handle != d.Handle {
		t.Errorf("Deploy after Plan: Changed=%v handle %q (first %q); Plan must not have changed anything", d2.Changed, d2.Handle, d.Handle)
	}
}

func (c *conformance) listerSeesEnv(t *testing.T) {
	t.Parallel()
	p, s := c.setup(t, "list")
	l, ok := p.(providers.Lister)
	if !ok {
		t.Skipf("%s does not implement providers.Lister", p.Name())
	}
	ctx := c.ctx(t)
	expires := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	setLabel(s, providers.LabelExpiresAt, expires)
	c.deploy(t, ctx, p, s, nil)
	envs, _, err := attempt(t, c, "List", func() ([]providers.Managed, error) { return l.List(ctx) })
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	i := slices.IndexFunc(envs, func(m providers.Managed) bool { return m.Env == s.Env })
	if i < 0 {
		t.Fatalf("List does not include %s", s.Env)
	}
	if got := envs[i].Labels[providers.LabelExpiresAt]; got != expires {
		t.Errorf("List: %s label of %s = %q, want %q", providers.LabelExpiresAt, s.Env, got, expires)
	}
	if envs[i].State != providers.StateRunning {
		t.Errorf("List: state of %s = %v, want running", s.Env, envs[i].State)
	}
}

// wantErrIs fails unless err wraps target.
func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: %v, want an error wrapping %v", what, err, target)
	}
}
