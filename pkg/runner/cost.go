package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
)

// restoreUsage puts the usage the sticky comment's marker kept (t.Usage, filled by Lookup) into
// an env record that has none, before the job runs: the embedded bus forgets its records
// between workflow runs, and the executor continues counting from what it finds there. It
// costs no GitHub request (the marker came with the lookup the run does anyway). A failure
// is a warning: the cost so far then starts afresh.
func (r *run) restoreUsage(ctx context.Context, bus *Bus, env string, rec *events.EnvRecord, t *github.Target) {
	if t.Usage == nil || rec != nil && rec.Usage != nil {
		return
	}
	u := *t.Usage
	_, _, err := bus.Envs.Update(ctx, env, func(rec *events.EnvRecord, _ bool) error {
		if rec.Usage == nil {
			rec.Usage = &u
		}
		return nil
	})
	if err != nil {
		r.out().Warning(fmt.Sprintf("keep the cost so far from the sticky comment in the environment record: %v", err), nil)
	}
}

// keepUsage carries the usage the job's succeeded event reported into the marker the final
// comment writes.
func keepUsage(t *github.Target, v action.View) {
	if v.Cost != nil && v.Cost.Usage != nil {
		t.Usage = v.Cost.Usage
	}
}

// idleSince is the last activity of an environment that stands stopped by the executor's idle
// stop (its record says the idle stop applied and it is stopped), else zero.
func idleSince(rec *events.EnvRecord) time.Time {
	if rec == nil || rec.IdleStopFor.IsZero() || rec.AppliedGeneration < rec.IdleStopGeneration || cost.PhaseOf(rec.State) != cost.PhaseStopped {
		return time.Time{}
	}
	return rec.IdleStopFor
}
