package providertest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// FakeName is the registry name of a Fake unless WithName says otherwise.
const FakeName = "fake"

// Fake is a provider whose platform is a map (or a directory). It is safe for concurrent use.
// Deploy is find-or-create in three steps (volume, machine, running) with an optional delay
// between steps; a Deploy cancelled part-way removes what it created.
type Fake struct {
	name      string
	stepDelay time.Duration
	st        store
	seq       atomic.Uint64

	mu      sync.Mutex
	ops     []Interval
	faults  []*Fault
	secrets [][]providers.SecretValue
	chaos   *chaos
}

// Option configures a Fake.
type Option func(*Fake)

// WithName sets the name the Fake registers under (default FakeName).
func WithName(name string) Option { return func(f *Fake) { f.name = name } }

// WithDir makes the Fake keep its environments and operation log in dir, shared by every Fake
// (in any process) given the same directory. Read the shared log with ReadIntervals.
func WithDir(dir string) Option { return func(f *Fake) { f.st.dir = dir } }

// WithStepDelay makes every Deploy step wait d (a slow platform). The wait ends early when the
// operation's context is done.
func WithStepDelay(d time.Duration) Option { return func(f *Fake) { f.stepDelay = d } }

// NewFake returns an empty Fake.
func NewFake(opts ...Option) *Fake {
	f := &Fake{name: FakeName}
	for _, o := range opts {
		o(f)
	}
	return f
}

var _ providers.Provider = (*Fake)(nil)

// Fault changes the behaviour of the next matching operations.
type Fault struct {
	// Op selects the operation; Env selects the environment ("" matches any).
	Op  Op
	Env string
	// Times is how many operations the fault affects; 0 or less means every one.
	Times int
	// Delay is waited (ctx-aware) before the operation does anything.
	Delay time.Duration
	// Hang blocks the operation until its context is done. For Deploy it hangs after the first
	// resource was created, to exercise cleanup of a half-made environment.
	Hang bool
	// Err is returned by the operation (before it changes anything, unless AfterApply).
	// Wrap it with providers.Transient for a retryable failure.
	Err error
	// AfterApply makes the operation take effect and still return Err ("it succeeded but the
	// response was lost").
	AfterApply bool

	used int
}

// Inject adds a fault. Faults are matched in the order they were added.
func (f *Fake) Inject(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := ft
	f.faults = append(f.faults, &c)
}

// FailNext makes the next n operations op on env ("" = any) return err without effect.
func (f *Fake) FailNext(op Op, env string, n int, err error) {
	f.Inject(Fault{Op: op, Env: env, Times: n, Err: err})
}

// ClearFaults removes every fault.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *Fake) takeFault(op Op, env string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ft := f.chaos.next(); ft != nil {
		return ft
	}
	for i, ft := range f.faults {
		if ft.Op != op || (ft.Env != "" && ft.Env != env) {
			continue
		}
		ft.used++
		c := *ft
		if ft.Times > 0 && ft.used >= ft.Times {
			f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
		}
		return &c
	}
	return nil
}

// Name implements providers.Provider.
func (f *Fake) Name() string { return f.name }

// Capabilities implements providers.Provider.
func (f *Fake) Capabilities() providers.Capabilities {
	return providers.Capabilities{StopStart: true, ConnectKinds: []providers.ConnectKind{providers.ConnectExec}}
}

// begin records the start of an operation and returns a function that records its end.
func (f *Fake) begin(op Op, s *providers.Spec) func(error) {
	iv := Interval{ID: newOpID(f.seq.Add(1)), Op: op, Env: s.Env, PID: os.Getpid(), Start: time.Now()}
	if s.Labels != nil {
		iv.JobID = s.Labels[providers.LabelJobID]
		iv.Generation, _ = strconv.ParseUint(s.Labels[providers.LabelGeneration], 10, 64)
	}
	f.mu.Lock()
	idx := len(f.ops)
	f.ops = append(f.ops, iv)
	f.mu.Unlock()
	if f.st.dir != "" {
		// The log is the test's evidence; failing to write it must fail the operation loudly.
		if err := appendLog(f.st.dir, logRecord{Phase: "start", Iv: iv}); err != nil {
			panic(fmt.Sprintf("providertest: write ops log: %v", err))
		}
	}
	return func(err error) {
		end := time.Now()
		f.mu.Lock()
		f.ops[idx].End = end
		if err != nil {
			f.ops[idx].Err = err.Error()
		}
		done := f.ops[idx]
		f.mu.Unlock()
		if f.st.dir != "" {
			if err := appendLog(f.st.dir, logRecord{Phase: "end", Iv: done}); err != nil {
				panic(fmt.Sprintf("providertest: write ops log: %v", err))
			}
		}
	}
}

// preFault applies the part of a fault that happens before the operation changes anything.
// It returns the error to return now, if any.
func preFault(ctx context.Context, ft *Fault, hangHere bool) error {
	if ft == nil {
		return nil
	}
	if err := ctxwait.Sleep(ctx, ft.Delay); err != nil {
		return err
	}
	if ft.Hang && hangHere {
		<-ctx.Done()
		return ctx.Err()
	}
	if ft.Err != nil && !ft.AfterApply {
		return ft.Err
	}
	return nil
}

func postFault(ft *Fault) error {
	if ft != nil && ft.Err != nil && ft.AfterApply {
		return ft.Err
	}
	return nil
}

func checkSpec(s *providers.Spec) error {
	if s == nil || s.Env == "" {
		return fmt.Errorf("fake: spec without env: %w", providers.ErrInvalidSpec)
	}
	return nil
}

// fingerprint is what makes two deploys "the same": image and labels except the job id.
func fingerprint(s *providers.Spec) string {
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		if k != providers.LabelJobID {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(s.Image)
	for _, k := range keys {
		b.WriteString("|" + k + "=" + s.Labels[k])
	}
	return b.String()
}

func (f *Fake) handle(env string) string { return "fake/v1:" + f.name + "/" + env }

// Plan implements providers.Provider. It never changes anything.
func (f *Fake) Plan(ctx context.Context, s *providers.Spec) (p *providers.Plan, err error) {
	if err := checkSpec(s); err != nil {
		return nil, err
	}
	f.seeSecrets(s)
	end := f.begin(OpPlan, s)
	defer func() { end(err) }()
	ft := f.takeFault(OpPlan, s.Env)
	if err := preFault(ctx, ft, true); err != nil {
		return nil, err
	}
	st, ok, err := f.st.load(s.Env)
	if err != nil {
		return nil, err
	}
	p = &providers.Plan{Provider: f.name}
	switch {
	case !ok:
		p.Actions = []providers.PlannedAction{
			{Action: providers.ActionCreate, Resource: "volume/" + s.Env, Description: "create volume"},
			{Action: providers.ActionCreate, Resource: "machine/" + s.Env, Description: "create machine running " + s.Image},
		}
		p.Calls = []string{"POST /volumes", "POST /machines", "POST /machines/" + s.Env + "/start"}
	case st.Fingerprint == fingerprint(s) && st.State == providers.StateRunning && !s.Options.Force:
		p.Actions = []providers.PlannedAction{{Action: providers.ActionNone, Resource: "machine/" + s.Env, Description: "up to date"}}
	default:
		p.Actions = []providers.PlannedAction{{Action: providers.ActionUpdate, Resource: "machine/" + s.Env, Description: "update machine to " + s.Image}}
		p.Calls = []string{"PUT /machines/" + s.Env}
	}
	p.Resources = []providers.PlannedResource{{ResourceType: "volume", Name: s.Env}, {ResourceType: "machine", Name: s.Env}}
	p.Artifacts = map[string]string{"fake.json": fmt.Sprintf("{\"env\":%q,\"image\":%q}\n", s.Env, s.Image)}
	return p, postFault(ft)
}

// Deploy implements providers.Provider: find-or-create by name.
func (f *Fake) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (d *providers.Deployment, err error) {
	if err := checkSpec(s); err != nil {
		return nil, err
	}
	if r == nil {
		r = providers.NopReporter{}
	}
	f.seeSecrets(s)
	end := f.begin(OpDeploy, s)
	defer func() { end(err) }()
	ft := f.takeFault(OpDeploy, s.Env)
	if err := preFault(ctx, ft, false); err != nil {
		return nil, err
	}
	before, existed, err := f.st.load(s.Env)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(s)
	if existed && before.State == providers.StateRunning && before.Fingerprint == fp && !s.Options.Force {
		r.Log("environment " + s.Env + " is up to date")
		return f.deployment(before, false), postFault(ft)
	}
	// rollback puts the platform back as it was before this call when the call is abandoned.
	rollback := func(cause error) error {
		var rerr error
		if existed {
			rerr = f.st.save(before)
		} else {
			rerr = f.st.delete(s.Env)
		}
		if rerr != nil {
			return errors.Join(cause, fmt.Errorf("fake: rollback %s: %w", s.Env, rerr))
		}
		return cause
	}
	now := time.Now()
	st := before
	if !existed {
		st = EnvState{Env: s.Env, State: providers.StateCreating, Handle: f.handle(s.Env), CreatedAt: now}
	}
	gen, _ := strconv.ParseUint(s.Labels[providers.LabelGeneration], 10, 64)
	st.JobID = s.Labels[providers.LabelJobID]
	st.UpdatedAt = now

	r.Progress("volume", 1, 3)
	if !st.has("volume") {
		r.Log("creating volume " + s.Env)
		st.Resources = append(st.Resources, "volume")
		if err := f.st.save(st); err != nil {
			return nil, err
		}
	}
	if ft != nil && ft.Hang {
		<-ctx.Done()
		return nil, rollback(ctx.Err())
	}
	if err := ctxwait.Sleep(ctx, f.stepDelay); err != nil {
		return nil, rollback(err)
	}
	r.Progress("machine", 2, 3)
	if !st.has("machine") {
		r.Log("creating machine " + s.Env)
		st.Resources = append(st.Resources, "machine")
	} else {
		r.Log("updating machine " + s.Env)
	}
	st.Image = s.Image
	if err := f.st.save(st); err != nil {
		return nil, err
	}
	if err := ctxwait.Sleep(ctx, f.stepDelay); err != nil {
		return nil, rollback(err)
	}
	r.Progress("start", 3, 3)
	st.State = providers.StateRunning
	st.Fingerprint = fp
	st.Labels = maps.Clone(s.Labels)
	st.Generation = gen
	st.UpdatedAt = time.Now()
	if err := f.st.save(st); err != nil {
		return nil, err
	}
	r.Log("environment " + s.Env + " is running")
	return f.deployment(st, true), postFault(ft)
}

func (f *Fake) deployment(st EnvState, changed bool) *providers.Deployment {
	return &providers.Deployment{
		Env: st.Env, Provider: f.name, Handle: st.Handle, State: st.State, Changed: changed,
		Connection: &providers.Connection{ExecCommand: "fake exec " + st.Env},
	}
}

// Status implements providers.Provider.
func (f *Fake) Status(ctx context.Context, s *providers.Spec) (out *providers.Status, err error) {
	if err := checkSpec(s); err != nil {
		return nil, err
	}
	end := f.begin(OpStatus, s)
	defer func() { end(err) }()
	ft := f.takeFault(OpStatus, s.Env)
	if err := preFault(ctx, ft, true); err != nil {
		return nil, err
	}
	st, ok, err := f.st.load(s.Env)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &providers.Status{Env: s.Env, Provider: f.name, State: providers.StateNotDeployed}, postFault(ft)
	}
	created, updated := st.CreatedAt, st.UpdatedAt
	return &providers.Status{
		Env: s.Env, Provider: f.name, State: st.State, InstanceID: st.Handle, Image: st.Image,
		Timestamps: providers.Timestamps{CreatedAt: &created, UpdatedAt: &updated},
	}, postFault(ft)
}

func (f *Fake) setState(ctx context.Context, op Op, s *providers.Spec, want providers.State) (err error) {
	if err := checkSpec(s); err != nil {
		return err
	}
	end := f.begin(op, s)
	defer func() { end(err) }()
	ft := f.takeFault(op, s.Env)
	if err := preFault(ctx, ft, true); err != nil {
		return err
	}
	st, ok, err := f.st.load(s.Env)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("fake: %s %s: %w", op, s.Env, providers.ErrNotFound)
	}
	if err := ctxwait.Sleep(ctx, f.stepDelay); err != nil {
		return err
	}
	st.State = want
	st.JobID = s.Labels[providers.LabelJobID]
	st.UpdatedAt = time.Now()
	if err := f.st.save(st); err != nil {
		return err
	}
	return postFault(ft)
}

// Stop implements providers.Provider.
func (f *Fake) Stop(ctx context.Context, s *providers.Spec) error {
	return f.setState(ctx, OpStop, s, providers.StateStopped)
}

// Start implements providers.Provider.
func (f *Fake) Start(ctx context.Context, s *providers.Spec) error {
	return f.setState(ctx, OpStart, s, providers.StateRunning)
}

// Destroy implements providers.Provider. Absent is success.
func (f *Fake) Destroy(ctx context.Context, s *providers.Spec) (err error) {
	if err := checkSpec(s); err != nil {
		return err
	}
	end := f.begin(OpDestroy, s)
	defer func() { end(err) }()
	ft := f.takeFault(OpDestroy, s.Env)
	if err := preFault(ctx, ft, true); err != nil {
		return err
	}
	if err := ctxwait.Sleep(ctx, f.stepDelay); err != nil {
		return err
	}
	if err := f.st.delete(s.Env); err != nil {
		return err
	}
	return postFault(ft)
}

// Env returns the platform's state of env and whether it exists.
func (f *Fake) Env(env string) (EnvState, bool, error) { return f.st.load(env) }

// Envs returns every environment that exists, sorted by name.
func (f *Fake) Envs() ([]EnvState, error) { return f.st.list() }

// Intervals returns the operations this Fake value recorded (in this process), in start order.
// For the log shared through WithDir, use ReadIntervals.
func (f *Fake) Intervals() []Interval {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Interval(nil), f.ops...)
}

// Overlaps returns every pair of mutating operations on one environment that overlapped in
// time (an operation still running counts as lasting forever). Empty means the one-operation-
// per-environment rule held.
func (f *Fake) Overlaps() []Overlap { return FindOverlaps(f.Intervals(), nil) }

// Count returns how many operations of any kind were recorded on env.
func (f *Fake) Count(env string) int { return f.CountOp(env, "") }

// CountOp returns how many operations op ("" = any) were recorded on env.
func (f *Fake) CountOp(env string, op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, iv := range f.ops {
		if iv.Env == env && (op == "" || iv.Op == op) {
			n++
		}
	}
	return n
}

// seeSecrets records the secrets a Deploy or Plan received. They are kept in memory only, never
// in the shared directory: a fake platform must not persist secret values either.
func (f *Fake) seeSecrets(s *providers.Spec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets = append(f.secrets, s.Secrets)
}

// SecretsSeen returns, in call order, the secrets each Deploy and Plan of this Fake received
// (one entry per call, nil when the call carried none), so tests can check what reached the
// provider.
func (f *Fake) SecretsSeen() [][]providers.SecretValue {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]providers.SecretValue(nil), f.secrets...)
}
