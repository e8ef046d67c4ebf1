package runner

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// candidate is an environment the reaper found expired.
type candidate struct {
	env, provider string
	expired       time.Time
	closed        bool
	// repo and pr name the environment's repository and pull request (from its record or its
	// labels), commentID and deploymentID its GitHub objects when the record knows them.
	repo                    string
	pr                      int
	commentID, deploymentID int64
}

// reap finds expired environments — in the env records and, through providers.Lister, on the
// platforms themselves, so that nothing depends on the bus remembering — and runs a reap job
// for each. The executor re-checks expiry under the environment's lease. It then stops the
// environments that are idle by the records (the executors' idle rules, stopIdle).
func (r *run) reap(ctx context.Context) int {
	bus, err := r.deps.OpenBus(ctx, nil)
	if err != nil {
		r.out().Error(fmt.Sprintf("job bus: %v", err), nil)
		return ExitFailed
	}
	defer bus.Close()
	now := r.deps.Now()
	found := map[string]candidate{}
	recs, err := bus.Envs.List(ctx)
	if err != nil {
		r.out().Warning(fmt.Sprintf("list environment records: %v", err), nil)
	}
	for _, rec := range recs {
		if rec.State == providers.StateNotDeployed {
			continue
		}
		// Expired, or closed but still there (a teardown that failed).
		if !rec.Closed && (rec.ExpiresAt.IsZero() || rec.ExpiresAt.After(now)) {
			continue
		}
		if r.it.Repo != "" && rec.Repo != "" && rec.Repo != r.it.Repo {
			continue
		}
		found[rec.Env] = candidate{env: rec.Env, provider: rec.Provider, expired: rec.ExpiresAt, closed: rec.Closed,
			repo: rec.Repo, pr: rec.PR, commentID: rec.CommentID, deploymentID: rec.DeploymentID}
	}
	if r.deps.Registry != nil {
		for _, name := range r.deps.Registry.Names() {
			p, err := r.deps.Registry.Get(name)
			if err != nil {
				continue
			}
			lister, ok := p.(providers.Lister)
			if !ok {
				continue
			}
			envs, err := lister.List(ctx)
			if err != nil {
				r.out().Warning(fmt.Sprintf("list %s environments: %v", name, err), nil)
				continue
			}
			for _, m := range envs {
				exp, ok := expiresAt(m.Labels)
				if !ok || exp.After(now) {
					continue
				}
				if repo := m.Labels[providers.LabelRepo]; r.it.Repo != "" && repo != "" && repo != r.it.Repo {
					continue
				}
				if _, dup := found[m.Env]; !dup {
					pr, _ := strconv.Atoi(m.Labels[providers.LabelPR])
					found[m.Env] = candidate{env: m.Env, provider: name, expired: exp, repo: m.Labels[providers.LabelRepo], pr: pr}
				}
			}
		}
	}
	idle := r.idleCandidates(ctx, bus, recs, now, found)
	if len(found) == 0 && len(idle) == 0 {
		r.out().Notice("reaper: no expired or idle environments")
		r.setOutputs(action.Outputs{Status: "reaped"})
		return ExitOK
	}
	list := make([]candidate, 0, len(found))
	for _, c := range found {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].env < list[j].env })
	if r.req.Inputs.DryRun {
		names := make([]string, len(list))
		for i, c := range list {
			names[i] = c.env
		}
		idleNames := envNames(idle)
		r.out().Notice(fmt.Sprintf("dry-run: would reap %d expired environment(s): %s, and stop %d idle one(s): %s; nothing was published", len(list), strings.Join(names, ", "), len(idle), strings.Join(idleNames, ", ")))
		md := fmt.Sprintf("### sindri reaper (dry-run)\n\nExpired environments that would be reaped: %d\n", len(list))
		for _, n := range names {
			md += "\n- `" + n + "`"
		}
		md += fmt.Sprintf("\n\nIdle environments that would be stopped: %d\n", len(idle))
		for _, n := range idleNames {
			md += "\n- `" + n + "`"
		}
		if err := r.out().Summary(r.redact(md) + "\n"); err != nil {
			r.out().Warning(err.Error(), nil)
		}
		r.setOutputs(action.Outputs{Status: string(action.PhasePlanned), Environment: strings.Join(names, ",")})
		return ExitOK
	}
	text, rel := r.configText()
	failed := 0
	var reaped []string
	for _, c := range list {
		gen, err := r.reapGeneration(ctx, bus, c)
		var j *jobs.Job
		var seq uint64
		if err == nil {
			j, err = jobs.New(jobs.KindReap, c.env, c.provider)
		}
		if err == nil {
			j.Generation = gen
			j.Repo, j.Trigger, j.RequestedBy = r.it.Repo, r.it.Trigger, r.it.Actor
			j.Config = jobs.ConfigBlob{Path: rel, Text: text}
			err = j.Validate()
		}
		if err == nil {
			key := jobs.IdempotencyKey(jobs.IdempotencyInput{Repo: j.Repo, Env: j.Env, Kind: j.Kind, Generation: j.Generation, Trigger: j.Trigger, Delivery: r.req.Delivery})
			seq, _, err = events.NewPublisher(bus.JS).SignedBy(bus.Signer).PublishJobSeq(ctx, j, key)
		}
		if err != nil {
			r.out().Error(fmt.Sprintf("reap %s: %v", c.env, err), nil)
			failed++
			continue
		}
		v := action.View{Kind: action.KindReap, Env: c.env, Provider: c.provider, JobID: j.ID, Phase: action.PhaseDestroying}
		if !r.followScheduled(ctx, bus, "reap", j, seq, &v) {
			failed++
			continue
		}
		reaped = append(reaped, c.env)
		r.reportReaped(ctx, bus, c, v)
	}
	stopped, idleFailed := r.stopIdle(ctx, bus, idle)
	failed += idleFailed
	md := fmt.Sprintf("### sindri reaper\n\nExpired environments: %d, reaped: %d, failed: %d\n", len(list), len(reaped), failed-idleFailed)
	for _, e := range reaped {
		md += "\n- `" + e + "`"
	}
	if len(idle) > 0 {
		md += fmt.Sprintf("\n\nIdle environments: %d, stopped: %d, failed: %d\n", len(idle), len(stopped), idleFailed)
		for _, e := range stopped {
			md += "\n- `" + e + "`"
		}
	}
	if err := r.out().Summary(r.redact(md) + "\n"); err != nil {
		r.out().Warning(err.Error(), nil)
	}
	r.setOutputs(action.Outputs{Status: "reaped", Environment: strings.Join(reaped, ",")})
	if failed > 0 {
		return ExitFailed
	}
	return ExitOK
}

// reportReaped tells GitHub that c was reaped (reportScheduled): its Deployment becomes
// inactive and its sticky comment says destroyed.
func (r *run) reportReaped(ctx context.Context, bus *Bus, c candidate, v action.View) {
	if v.Phase == action.PhaseDestroyed {
		r.reportScheduled(ctx, bus, c, v, "") // destroyed: the marker no longer pins a provider
	}
}

// reportScheduled tells GitHub what a scheduled job (a reap, an idle stop) did to c, when the
// run has a GitHub client and c names this repository: the Deployment's status and the sticky
// comment, rendered from v, with provider pinned in the marker. Nothing is created for an
// environment GitHub never heard of, and no sticky comment is started.
func (r *run) reportScheduled(ctx context.Context, bus *Bus, c candidate, v action.View, provider string) {
	if r.gh == nil || c.repo == "" || (r.it.Repo != "" && c.repo != r.it.Repo) {
		return
	}
	owner, name, ok := strings.Cut(c.repo, "/")
	if !ok || owner == "" || name == "" {
		return
	}
	ctx, cancel := r.finalCtx(ctx)
	defer cancel()
	t := &github.Target{Owner: owner, Repo: name, PR: max(c.pr, 0), Env: c.env,
		CommentID: c.commentID, DeploymentID: c.deploymentID, Closed: c.closed}
	r.kept = [2]int64{c.commentID, c.deploymentID}
	if _, _, err := r.gh.Lookup(ctx, t); err != nil {
		r.out().Warning(r.redact(fmt.Sprintf("GitHub: find the sticky comment of %s: %v", c.env, err)), nil)
	}
	t.Provider = provider
	if provider != "" {
		keepUsage(t, v) // the environment lives on: its marker keeps counting its cost
	}
	v.Repo, v.PR, v.Trigger, v.Actor, v.RunURL = c.repo, t.PR, r.it.Trigger, r.it.Actor, r.req.RunURL
	u, ok := action.GitHubUpdate(v, r.redact)
	if !ok {
		return
	}
	if t.CommentID == 0 {
		u.Comment = ""
	}
	r.warnRejected(r.report(ctx, bus, t, u))
}

// reapGeneration makes sure the environment has a record carrying the expiry the reaper saw
// (an environment found only through its labels has none in embedded mode) and bumps its
// desired generation, so the reap supersedes older queued jobs and the executor re-checks the
// expiry under the lease.
func (r *run) reapGeneration(ctx context.Context, bus *Bus, c candidate) (uint64, error) {
	_, _, err := bus.Envs.Update(ctx, c.env, func(rec *events.EnvRecord, exists bool) error {
		if rec.Provider == "" {
			rec.Provider = c.provider
		}
		if rec.ExpiresAt.IsZero() && !c.expired.IsZero() {
			rec.ExpiresAt = c.expired
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record expiry: %w", err)
	}
	return bus.Envs.BumpDesired(ctx, c.env, c.closed)
}

// configText returns the workspace's config, when there is one, for reap jobs (providers may
// need provider settings to find what they made).
func (r *run) configText() (text, rel string) {
	rel, abs := r.configPath()
	b, err := r.readConfig(abs)
	if err != nil {
		return "", ""
	}
	return string(b), rel
}

func expiresAt(labels map[string]string) (time.Time, bool) {
	v, ok := labels[providers.LabelExpiresAt]
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}
