package executor

import (
	"context"
	"errors"
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// CostConfig is an executor's prices and spending policy (executor.hcl's cost block).
type CostConfig struct {
	// Prices override the providers' price tables.
	Prices cost.Prices
	// Policy is checked before a deploy, start or image build reaches its provider.
	Policy cost.Policy
	// Ledger keeps each repository's running spend; it enforces Policy.MaxHourlyPerRepo
	// across executors and feeds the spend gauge. Nil: the repository limit is not enforced.
	Ledger *cost.Ledger
	// Now is the clock of the running and stopped time kept in env records (nil: time.Now).
	Now func() time.Time
	// Idle is the executor's idle stop and its per-repository shortenings; each job records
	// the environment's effective idle time (with its config's deployment.idle_stop) in the
	// env record, where every reaper reads it.
	Idle cost.Idle
}

func (e *Executor) now() time.Time {
	if c := e.cfg.Cost; c != nil && c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (e *Executor) prices() cost.Prices {
	if e.cfg.Cost == nil {
		return nil
	}
	return e.cfg.Cost.Prices
}

// priced reports whether kind is checked against the policy before its provider runs:
// whatever makes or resumes something that costs money. Stop, destroy and reap never are.
func priced(kind jobs.Kind) bool {
	return kind == jobs.KindDeploy || kind == jobs.KindStart || kind == jobs.KindImageBuild
}

// spend is what the cost check of one delivery decided.
type spend struct {
	estimate *providers.CostEstimate
	// undo gives back the repository reservation when the operation fails.
	undo func(context.Context) error
}

// errPolicy wraps a *cost.LimitError, or a failure to price a job the policy must price.
var errPolicy = errors.New("spending policy")

// checkCost prices the job (the provider's side-effect-free Plan, with the executor's
// overrides), checks the policy and reserves the repository's share, before anything is
// created. A nil spend with a nil error: nothing to check (no cost config, or a kind that is
// never refused). Errors: *cost.LimitError (the job fails with code policy), a retryable
// provider or KV error, or another Plan error wrapped in errPolicy.
func (d *delivery) checkCost(ctx context.Context, p providers.Provider, s *providers.Spec) (*spend, error) {
	cc, j := d.e.cfg.Cost, d.job
	if cc == nil || !priced(j.Kind) {
		return nil, nil
	}
	sp := &spend{}
	gpus := 0
	switch {
	case s.Config != nil:
		pl, err := p.Plan(ctx, s)
		switch {
		case err != nil && providers.IsRetryable(err):
			return nil, err
		case err != nil:
			// Deploy would most likely fail the same way; only a policy that needs the price
			// refuses here.
			if j.Kind != jobs.KindImageBuild && (cc.Policy.MaxHourlyPerEnv > 0 || cc.Policy.MaxHourlyPerRepo > 0) {
				return nil, errors.Join(errPolicy, errors.New("the job could not be priced: "+failMessage(err)))
			}
			d.log.Warn().Err(d.redactErr(err)).Msg("plan for the cost estimate failed; the job runs unpriced")
		default:
			sp.estimate = cc.Prices.Apply(j.Provider, pl.EstimatedCost)
		}
		gpus = s.Config.GPUCount()
	case d.rec != nil && d.rec.Usage != nil && d.rec.Usage.Hourly != nil:
		// A start without config is priced at the rate its deploy recorded.
		h := *d.rec.Usage.Hourly
		sp.estimate = &providers.CostEstimate{Hourly: &h, StoppedHourly: d.rec.Usage.StoppedHourly, Currency: d.rec.Usage.Currency, Basis: "the rate recorded at deploy"}
	}
	pol := cc.Policy
	if j.Kind == jobs.KindImageBuild {
		// An image build is priced per build, not per hour: the hourly limits do not apply,
		// the providers, regions and GPUs allowed do.
		pol.MaxHourlyPerEnv, pol.MaxHourlyPerRepo = 0, 0
	}
	if err := pol.Check(cost.Request{Repo: j.Repo, Provider: j.Provider, Estimate: sp.estimate, GPUCount: gpus}); err != nil {
		return nil, err
	}
	if cc.Ledger != nil && j.Kind != jobs.KindImageBuild && sp.estimate != nil && sp.estimate.Hourly != nil {
		undo, err := cc.Ledger.Reserve(ctx, j.Repo, j.Env, j.Provider, *sp.estimate.Hourly, cc.Policy.MaxHourlyPerRepo)
		if err != nil {
			var le *cost.LimitError
			if errors.As(err, &le) {
				return nil, err
			}
			return nil, providers.Transient(err)
		}
		sp.undo = undo
	}
	return sp, nil
}

// settleSpend updates the repository's running spend after the operation: a failed deploy or
// start gives its reservation back; a stop, destroy or reap takes the environment off. These
// never fail the job: teardown must always work.
func (d *delivery) settleSpend(ctx context.Context, sp *spend, opErr error) {
	cc := d.e.cfg.Cost
	if cc == nil || cc.Ledger == nil {
		return
	}
	sctx, cancel := settleCtx(ctx)
	defer cancel()
	var err error
	switch {
	case opErr != nil && sp != nil && sp.undo != nil:
		err = sp.undo(sctx)
	case opErr == nil && (d.job.Kind == jobs.KindStop || d.job.Kind == jobs.KindDestroy || d.job.Kind == jobs.KindReap):
		err = cc.Ledger.Release(sctx, d.job.Repo, d.job.Env)
	}
	if err != nil {
		d.log.Warn().Err(err).Msg("update the repository's running spend")
	}
}

// TriggerIdle is the trigger of the stop jobs the reaper queues for idle environments.
const TriggerIdle = "schedule.idle"

// recordUsage advances the record's running and stopped time to now, entering the phase of
// the state the job left, priced at the job's estimate when it had one.
func (d *delivery) recordUsage(rec *events.EnvRecord, sp *spend) {
	u := cost.Usage{}
	if rec.Usage != nil {
		u = *rec.Usage
	}
	u = u.Advance(d.e.now(), cost.PhaseOf(rec.State))
	if sp != nil {
		u = u.WithRate(sp.estimate)
	}
	rec.Usage = &u
	d.usage = &u
	if d.job.Trigger != TriggerIdle {
		rec.LastActivity = d.e.now().UTC()
	}
}

// recordIdle keeps the environment's effective idle time in its record (see idleFor).
func (d *delivery) recordIdle(rec *events.EnvRecord, s *providers.Spec) {
	after, _ := d.idleFor(s, rec.IdleAfter())
	rec.SetIdleAfter(after)
}

// idleFor is the idle time of the job's environment and, when its config asks for a longer
// one than the executor allows, a note saying so. A job without config (stop, start) keeps
// what the last deploy recorded, shortened by the executor's current settings.
func (d *delivery) idleFor(s *providers.Spec, recorded time.Duration) (time.Duration, string) {
	var idle cost.Idle
	if cc := d.e.cfg.Cost; cc != nil {
		idle = cc.Idle
	}
	if s == nil || s.Config == nil {
		after, _ := idle.For(d.job.Repo, 0)
		return cost.Shortest(after, recorded), ""
	}
	return idle.For(d.job.Repo, s.Config.Deployment.IdleStopDuration())
}

// idleNote is the warning a deploy logs when its config's deployment.idle_stop is longer than
// the executor allows, or "".
func (d *delivery) idleNote(s *providers.Spec) string {
	if d.job.Kind != jobs.KindDeploy {
		return ""
	}
	_, note := d.idleFor(s, 0)
	return note
}

// costReport is the succeeded event's cost section: nil when the job neither priced nor
// recorded anything.
func (d *delivery) costReport(p providers.Provider) *cost.Report {
	if d.usage == nil && (d.spend == nil || d.spend.estimate == nil) {
		return nil
	}
	r := &cost.Report{AutoSuspend: p.Capabilities().AutoSuspend, Usage: d.usage}
	if d.spend != nil {
		r.Estimate = d.spend.estimate
	}
	return r
}
