package e2b

import (
	"context"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// deploySteps are Deploy's Progress steps: resolve, observe, template, sandbox, wait, ready.
const deploySteps = 6

// Deploy implements providers.Provider: find-or-create env's sandbox (building its template
// first when needed), resume it or change it in place when needed, set its timeout again, and
// wait until it runs. What a failed first Deploy made is removed again; when that fails, the
// error is a *providers.PartialError.
func (p *Provider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	if r == nil {
		r = providers.NopReporter{}
	}
	r.Progress("resolve", 1, deploySteps)
	d, a, err := p.prepare(s)
	if err != nil {
		return nil, err
	}
	r.Progress("observe", 2, deploySteps)
	dec, err := decide(ctx, a, d, s)
	if err != nil {
		return nil, err
	}
	if dec.action != providers.ActionNone {
		r.Log(fmt.Sprintf("e2b: %s sandbox of %s: %s", dec.action, d.env, dec.why))
	}
	timeout := s.Options.Timeout
	if timeout <= 0 {
		timeout = p.cfg.DefaultTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := p.apply(wctx, a, dec, d, r, true)
	made := dec.action == providers.ActionCreate || dec.replace
	if err != nil {
		return nil, p.rollback(ctx, a, s, made, res, err)
	}
	r.Progress("wait", 5, deploySteps)
	sb, err := p.waitRunning(wctx, a, res.sandbox, made, r)
	if err != nil {
		return nil, p.rollback(ctx, a, s, made, res, err)
	}
	p.removeStale(ctx, a, dec.stale, r)
	r.Progress("ready", 6, deploySteps)
	st := handleState{Sandbox: sb.SandboxID, Timeout: d.timeout}
	if d.tpl.build {
		st.Templates = []string{res.template}
	}
	dep := &providers.Deployment{Env: s.Env, Provider: Name, Handle: newHandle(st), State: providers.StateRunning,
		Connection: p.connection(sb.SandboxID, res.domain, d.body.Network), Changed: dec.action != providers.ActionNone,
		Warnings: append(append(d.warnings, dec.warnings...), timeoutNote(d, time.Now()))}
	if dec.action != providers.ActionNone {
		dep.Messages = append(dep.Messages, fmt.Sprintf("sandbox %s: %s (%s)", sb.SandboxID, dec.action, dec.why))
	}
	return dep, nil
}

// prepare resolves s for Plan and Deploy and returns the API client for it, which redacts
// the environment's secret values.
func (p *Provider) prepare(s *providers.Spec) (*desired, *api, error) {
	d, err := p.resolve(s)
	if err != nil {
		return nil, nil, err
	}
	a, err := p.apiFor(s, d.secrets)
	return d, a, err
}

// applied is what apply made or found.
type applied struct {
	sandbox  string
	template string
	domain   string
}

// apply makes the calls decision dec needs. wait is false on Plan's dry-run API: nothing is
// waited for, and ids not yet known are placeholders.
func (p *Provider) apply(ctx context.Context, a *api, dec decision, d *desired, r providers.Reporter, wait bool) (applied, error) {
	res := applied{template: dec.template}
	if dec.sb != nil {
		res.sandbox = dec.sb.SandboxID
	}
	r.Progress("template", 3, deploySteps)
	if dec.build {
		id, err := p.build(ctx, a, d, r, wait)
		if err != nil {
			return res, err
		}
		res.template = id
	}
	r.Progress("sandbox", 4, deploySteps)
	if dec.replace {
		if err := a.kill(ctx, dec.sb.SandboxID); err != nil {
			return res, fmt.Errorf("e2b: replace sandbox %s: %w", dec.sb.SandboxID, err)
		}
	}
	switch {
	case dec.action == providers.ActionCreate || dec.replace:
		got, err := create(ctx, a, d, res.template)
		res.sandbox = got.SandboxID
		res.domain = deref(got.Domain)
		return res, err
	case dec.lifecycle:
		if !dec.resume {
			if err := a.pause(ctx, res.sandbox); err != nil {
				return res, fmt.Errorf("e2b: pause sandbox %s to change autoPause: %w", res.sandbox, err)
			}
		}
		if err := a.resume(ctx, res.sandbox, d.timeout, d.autoPause); err != nil {
			return res, fmt.Errorf("e2b: resume sandbox %s with autoPause %t: %w", res.sandbox, d.autoPause, explain(err, d))
		}
	case dec.resume:
		got, err := a.connect(ctx, res.sandbox, d.timeout)
		if err != nil {
			return res, fmt.Errorf("e2b: resume sandbox %s: %w", res.sandbox, explain(err, d))
		}
		res.domain = deref(got.Domain)
	default:
		// Deployed again: it lives another timeout from now.
		if err := a.setTimeout(ctx, res.sandbox, d.timeout); err != nil {
			return res, fmt.Errorf("e2b: set timeout of sandbox %s: %w", res.sandbox, err)
		}
	}
	return res, nil
}

// create makes d's sandbox from template. A lost or failed answer is resolved by looking for
// the sandbox by metadata before anything is sent again.
func create(ctx context.Context, a *api, d *desired, template string) (createdSandbox, error) {
	body := d.body
	body.TemplateID = template
	var found *sandbox
	got, err := a.createSandbox(ctx, body, d.secrets, func(ctx context.Context) (bool, error) {
		sb, err := find(ctx, a, d.env, d.body.Metadata)
		if err != nil || sb == nil {
			return false, err
		}
		found = sb
		return true, nil
	})
	if found != nil {
		return createdSandbox{SandboxID: found.SandboxID, TemplateID: found.TemplateID}, nil
	}
	if err != nil {
		return got, fmt.Errorf("e2b: create sandbox of %s from template %s: %w", d.env, template, explain(err, d))
	}
	return got, nil
}

// removeStale deletes templates built for env that its sandbox no longer runs; one still in
// use (400) or any other failure is left for Destroy, and said.
func (p *Provider) removeStale(ctx context.Context, a *api, ids []string, r providers.Reporter) {
	for _, id := range ids {
		if err := a.deleteTemplate(ctx, id); err != nil {
			r.Log(fmt.Sprintf("e2b: template %s is no longer used but could not be deleted now (Destroy removes it): %v", id, err))
		}
	}
}

// rollback removes what a failed Deploy made (made: it created, or may have created, a
// sandbox), under its own timeout even when ctx is cancelled: every sandbox of the
// environment and the templates built for it. What cannot be removed is returned as a
// *providers.PartialError with a handle; otherwise cause is returned.
func (p *Provider) rollback(ctx context.Context, a *api, s *providers.Spec, made bool, res applied, cause error) error {
	st := handleState{Sandbox: res.sandbox}
	if !made {
		if res.sandbox == "" {
			return cause
		}
		return &providers.PartialError{Err: cause, Remaining: []string{"sandbox/" + res.sandbox}, Handle: newHandle(st)}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if res.template != "" {
		st.Templates = []string{res.template}
	}
	spec := &providers.Spec{Env: s.Env, Labels: s.Labels}
	left, err := p.destroy(cctx, a, spec, st)
	if err != nil || len(left) > 0 {
		return &providers.PartialError{Err: fmt.Errorf("%w (rollback: %v)", cause, err), Remaining: left, Handle: newHandle(st)}
	}
	return cause
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// timeoutNote says when the sandbox's timeout ends, counted from this Deploy (which set it
// again): every push to the pull request redeploys and moves it on, and the sticky comment
// tells reviewers when the sandbox will be paused or gone.
func timeoutNote(d *desired, now time.Time) string {
	end := now.Add(time.Duration(d.timeout) * time.Second).UTC().Format("2006-01-02 15:04 MST")
	if d.autoPause {
		return fmt.Sprintf("the sandbox pauses at %s (timeout %ds) unless the pull request is pushed to or `/sindri deploy` runs again; a paused sandbox resumes on the next deploy or `/sindri start`", end, d.timeout)
	}
	return fmt.Sprintf("the sandbox is killed at %s (timeout %ds, autoPause off) unless the pull request is pushed to or `/sindri deploy` runs again", end, d.timeout)
}
