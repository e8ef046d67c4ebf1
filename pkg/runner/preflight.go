package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/github"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// sealCheck returns the error to report when the job's secrets could not travel sealed: a bus
// with remote executors, resolved secrets and no usable executor-key. Embedded executors get
// the secrets in memory and need no key.
func (r *run) sealCheck(bus *Bus, l *loaded) string {
	if bus.Embedded || len(l.resolved) == 0 {
		return ""
	}
	key := r.req.Inputs.ExecutorKey
	if key == "" {
		return fmt.Sprintf("%s resolved %d secret(s) but the executor-key input is empty: with nats-url they would travel in clear on the bus; "+
			"set executor-key to the public key printed by `sindri-executor keygen` on the executors; nothing was published", l.relPath, len(l.resolved))
	}
	if !nkeys.IsValidPublicCurveKey(key) {
		return "the executor-key input is not a public xkey (X...): set it to the public key printed by `sindri-executor keygen`; nothing was published"
	}
	return ""
}

// ownership returns the error to report when env's record belongs to another repository than
// the intent's: the environment name template does not tell the repositories apart, and a job
// here would change another repository's environment.
func (r *run) ownership(env string, rec *events.EnvRecord) string {
	if rec == nil || rec.Repo == "" || r.it.Repo == "" || rec.Repo == r.it.Repo {
		return ""
	}
	return fmt.Sprintf("environment %s belongs to %s; set the environment input to a template with {repo}; nothing was published", env, rec.Repo)
}

// recordedProvider makes l use the provider env was deployed with (from its record, else from
// the sticky comment's marker) for every job but deploys and plans: a provider changed in the
// config, the provider input or a ChatOps flag must not orphan what is deployed. A deploy that
// names another provider than the live environment's is refused: it returns the error to report.
//
// When nothing here serves the recorded provider, its jobs could never run, so the pin has a
// way back (see unservedPin): a destroy of an environment with nothing deployed, or one asked
// for with --force, runs with the provider asked for and so clears the pin.
func (r *run) recordedProvider(ctx context.Context, bus *Bus, kind jobs.Kind, l *loaded, rec *events.EnvRecord, marker github.Sticky, found bool) string {
	recorded, live := "", false
	switch {
	case rec != nil && rec.Provider != "":
		recorded = rec.Provider
		live = rec.State != providers.StateUnknown && rec.State != providers.StateNotDeployed
	case found && marker.Provider != "":
		// The marker names a provider only while the environment is deployed.
		recorded, live = marker.Provider, true
	}
	if recorded == "" || recorded == l.provider || !jobs.ValidProviderName(recorded) {
		return ""
	}
	rule := policyOf(kind).provider
	if rule == asAsked || rule == refuseIfLive && !live {
		return ""
	}
	if r.servedCheck(ctx, bus, recorded) != "" {
		return r.unservedPin(ctx, bus, kind, l, recorded, live)
	}
	if rule == refuseIfLive {
		return fmt.Sprintf("environment %s is deployed with provider %q, not %q: destroy it first (`/sindri destroy`), then deploy with the new provider; nothing was published",
			l.env, recorded, l.provider)
	}
	r.out().Notice(fmt.Sprintf("%s of %s uses provider %q, which it was deployed with (not %q)", kind, l.env, recorded, l.provider))
	l.provider = recorded
	return ""
}

// unservedPin decides a job of an environment pinned to a provider nothing here serves (none
// of its jobs could run). A destroy runs with the provider asked for when the environment has
// nothing deployed (its record says not deployed, or its jobs never ran), or when the user
// says so with --force: nothing here can look on the recorded provider, so --force is the
// user's word that nothing is left there. Its success records the environment as not deployed
// with the new provider, which clears the pin for the next deploy. Every other job is refused
// with the way out.
func (r *run) unservedPin(ctx context.Context, bus *Bus, kind jobs.Kind, l *loaded, recorded string, live bool) string {
	switch {
	case kind == jobs.KindDestroy && !live:
		r.out().Notice(fmt.Sprintf("%s was recorded with provider %q, which is not available here, and has nothing deployed: the destroy runs with %q and clears that record", l.env, recorded, l.provider))
		return ""
	case kind == jobs.KindDestroy && r.it.Force:
		r.out().Warning(fmt.Sprintf("destroy --force: %s was deployed with provider %q, which is not available here, so nothing there was removed: remove what is left on %s by hand. The environment is destroyed with %q and forgotten here; deploy with the new provider next", l.env, recorded, recorded, l.provider), nil)
		return ""
	}
	what := "destroy it there"
	if kind == jobs.KindDestroy {
		what = "run the destroy again"
	}
	return fmt.Sprintf("environment %s is deployed with provider %q, which is not available here (available: %s). Serve %s again (an executor, or an action built with it) and %s; "+
		"if nothing of it is left on %s, `/sindri destroy --force` (locally: `destroy --force`) forgets it here, and a deploy with %q works after that; nothing was published",
		l.env, recorded, servedProviders(ctx, bus), recorded, what, recorded, l.provider)
}

// closeWins skips a job for an environment whose PR was closed, reporting nothing to GitHub.
func (r *run) closeWins(ctx context.Context, kind jobs.Kind, env string) int {
	r.out().Notice(fmt.Sprintf("%s of %s skipped: its pull request was closed and the environment torn down (close wins); reopen the PR to deploy again", kind, env))
	r.setOutputs(action.Outputs{Environment: env, Status: "superseded"})
	r.respond(ctx, false)
	return ExitOK
}

// closing reports whether a job of kind closes its environment for good: the destroy for a
// closed pull request (pull_request or pull_request_target) or a deleted branch.
func (r *run) closing(kind jobs.Kind) bool {
	return kind == jobs.KindDestroy && (prAction(r.it.Trigger) == "closed" || strings.HasPrefix(r.it.Trigger, "delete"))
}

// reopens reports whether a job of kind for this intent reopens a closed environment: a
// reopened pull request (pull_request or pull_request_target), a deploy asked for by ChatOps,
// or a deploy of a branch environment (no PR) by a push or a workflow_dispatch: a branch
// deleted and created again deploys again, while close wins for pull requests.
func (r *run) reopens(kind jobs.Kind) bool {
	if prAction(r.it.Trigger) == "reopened" || (kind == jobs.KindDeploy && r.it.ChatOps != nil) {
		return true
	}
	event, _, _ := strings.Cut(r.it.Trigger, ".")
	return kind == jobs.KindDeploy && r.it.PR == 0 && (event == "push" || event == "workflow_dispatch")
}

// prAction returns the action part of a pull_request or pull_request_target trigger
// ("closed" for pull_request_target.closed), or "" for any other event.
func prAction(trigger string) string {
	event, act, ok := strings.Cut(trigger, ".")
	if !ok || (event != "pull_request" && event != "pull_request_target") {
		return ""
	}
	return act
}

// servedCheck returns an error message when nothing serves provider on the bus: the embedded
// executor was not built with it, or on a shared bus no executor has ever served it. Either
// way its durable consumer does not exist (every executor creates one per provider it
// serves), and a job published there would wait for its whole timeout.
func (r *run) servedCheck(ctx context.Context, bus *Bus, provider string) string {
	_, err := bus.JS.Consumer(ctx, events.JobsStream, events.ExecutorConsumerPrefix+provider)
	switch {
	case err == nil, errors.Is(err, jetstream.ErrStreamNotFound):
		// Without the stream nothing can be told here; publishing says what is wrong.
		return ""
	case errors.Is(err, jetstream.ErrConsumerNotFound) && bus.Embedded:
		return fmt.Sprintf("provider %s is not available here; available: %s. This action runs its executor embedded, with the providers it was built with: set nats-url to a NATS deployment whose executors serve %s; nothing was published",
			provider, servedProviders(ctx, bus), provider)
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return fmt.Sprintf("provider %s is not available here; available: %s. No executor serves it on this NATS deployment (no consumer %s%s on %s): start sindri-executor with that provider enabled; nothing was published",
			provider, servedProviders(ctx, bus), events.ExecutorConsumerPrefix, provider, events.JobsStream)
	default:
		return fmt.Sprintf("look up the executors of provider %q: %v; nothing was published", provider, err)
	}
}

// servedProviders lists the providers executors serve on a shared bus (their durable
// consumers), for a refusal; "none" when there are none or they cannot be listed.
func servedProviders(ctx context.Context, bus *Bus) string {
	st, err := bus.JS.Stream(ctx, events.JobsStream)
	if err != nil {
		return "none"
	}
	var names []string
	lister := st.ConsumerNames(ctx)
	for n := range lister.Name() {
		if p, ok := strings.CutPrefix(n, events.ExecutorConsumerPrefix); ok {
			names = append(names, p)
		}
	}
	if lister.Err() != nil || len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
