package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// idleRules are the scheduled reap workflow's idle stop rules: the executors' own
// (executor.IdleRules), with the idle time each record carries (the workflow does not know an
// executor's cost.idle_stop; the executor that last ran a job on the environment recorded the
// effective one). Traffic is not read here: the runner cannot see the executors' platforms;
// an executor's reaper keeps the records' last activity current with it.
func (r *run) idleRules() executor.IdleRules {
	return executor.IdleRules{
		CanStop: func(name string) bool {
			if r.deps.Registry == nil {
				return true // a remote executor serves it; one that cannot stop fails the job clearly
			}
			p, err := r.deps.Registry.Get(name)
			return err != nil || p.Capabilities().StopStart
		},
		RequestedBy: "sindri-reap-workflow",
	}
}

// idleCandidates returns the records of this repository's environments that are idle at now,
// leaving out those the reap destroys anyway (expired).
func (r *run) idleCandidates(ctx context.Context, bus *Bus, recs []*events.EnvRecord, now time.Time, expired map[string]candidate) []*events.EnvRecord {
	rules := r.idleRules()
	var out []*events.EnvRecord
	for _, rec := range recs {
		if _, ok := expired[rec.Env]; ok || r.it.Repo != "" && rec.Repo != r.it.Repo {
			continue
		}
		due, err := rules.Due(ctx, bus.Envs, rec, now)
		if err != nil {
			r.out().Warning(fmt.Sprintf("idle check of %s: %v", rec.Env, err), nil)
			continue
		}
		if due {
			out = append(out, rec)
		}
	}
	return out
}

// stopIdle queues the idle stop of each record under the executors' own rules, follows it, and
// writes the sticky comment at once ("Stopped while idle …"). It returns the environments
// stopped and how many failed. A stop already pending (an executor's reaper queued it) is left
// to that reaper; the next action run on the environment says so in the comment.
func (r *run) stopIdle(ctx context.Context, bus *Bus, recs []*events.EnvRecord) (stopped []string, failed int) {
	rules := r.idleRules()
	pub := events.NewPublisher(bus.JS).SignedBy(bus.Signer)
	for _, rec := range recs {
		j, seq, queued, err := rules.QueueIdleStop(ctx, bus.Envs, pub, rec)
		if err != nil {
			r.out().Error(fmt.Sprintf("idle stop %s: %v", rec.Env, err), nil)
			failed++
			continue
		}
		if !queued {
			r.out().Notice(fmt.Sprintf("idle stop of %s was already queued", rec.Env))
			continue
		}
		v := action.View{Kind: action.KindStop, Env: rec.Env, Provider: rec.Provider, JobID: j.ID, Phase: action.PhaseStopped}
		if !r.followScheduled(ctx, bus, "idle stop", j, seq, &v) {
			failed++
			continue
		}
		if v.Phase != action.PhaseStopped {
			r.out().Notice(fmt.Sprintf("idle stop of %s: %s", rec.Env, v.Phase)) // superseded by a newer job
			continue
		}
		stopped = append(stopped, rec.Env)
		v.IdleSince = rec.LastActivity
		c := candidate{env: rec.Env, provider: rec.Provider, repo: rec.Repo, pr: rec.PR, commentID: rec.CommentID, deploymentID: rec.DeploymentID}
		r.reportScheduled(ctx, bus, c, v, rec.Provider)
	}
	return stopped, failed
}

func envNames(recs []*events.EnvRecord) []string {
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = r.Env
	}
	return names
}

// followScheduled follows a job a scheduled run queued; a failure is reported as an error
// naming what (reap, idle stop) and the environment, and returns false.
func (r *run) followScheduled(ctx context.Context, bus *Bus, what string, j *jobs.Job, seq uint64, v *action.View) bool {
	if ok := r.follow(ctx, bus, j, seq, v); !ok || v.Phase == action.PhaseFailed {
		r.out().Error(fmt.Sprintf("%s %s: %s", what, j.Env, v.Error), nil)
		return false
	}
	return true
}
