package northflank

import (
	"context"
	"errors"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Deploy implements providers.Provider: ensure the project, the volume and the service,
// update the service in place or resume it when needed, and wait until it serves. What this
// call created and could not bring up is removed again; when that fails, the error is a
// *providers.PartialError.
func (p *Provider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	if r == nil {
		r = providers.NopReporter{}
	}
	const steps = 5
	r.Progress("resolve", 1, steps)
	d, a, err := p.prepare(s)
	if err != nil {
		return nil, err
	}
	r.Progress("observe", 2, steps)
	obs, err := observe(ctx, a, d)
	if err != nil {
		return nil, err
	}
	dec := decide(obs, d, s.Options.Force)
	r.Progress(string(dec.action), 3, steps)
	if dec.action != providers.ActionNone {
		r.Log(fmt.Sprintf("northflank: %s service %s in project %s: %s", dec.action, d.names.service, d.projectID, dec.why))
	}
	var m made
	cur, err := p.apply(ctx, a, dec, d, &m)
	if err != nil {
		return nil, p.rollback(ctx, a, d, m, err)
	}
	r.Progress("wait", 4, steps)
	timeout := s.Options.Timeout
	if timeout <= 0 {
		timeout = p.cfg.DefaultTimeout
	}
	ready, err := p.waitReady(ctx, a, d.projectID, cur.ID, timeout, d.secrets, r)
	if err != nil {
		// A transient end (a spent rate budget) keeps what was made for the retry to find.
		if m.service && !providers.IsRetryable(err) {
			return nil, p.rollback(ctx, a, d, m, err)
		}
		return nil, &providers.PartialError{Err: err, Remaining: []string{"service/" + d.projectID + "/" + cur.ID}, Handle: d.handle()}
	}
	r.Progress("ready", 5, steps)
	dep := &providers.Deployment{
		Env: s.Env, Provider: Name, Handle: d.handle(), State: providers.StateRunning,
		Connection: connection(d.projectID, ready), Changed: dec.action != providers.ActionNone || dec.createProject || dec.createVolume,
		Warnings: d.warnings,
	}
	if dep.Changed {
		dep.Messages = append(dep.Messages, fmt.Sprintf("service %s/%s: %s (%s)", d.projectID, ready.ID, dec.action, dec.why))
	}
	return dep, nil
}

// prepare resolves s for Plan and Deploy and returns the API client for it, which redacts
// the environment's secret values.
func (p *Provider) prepare(s *providers.Spec) (*desired, *api, error) {
	d, err := resolve(s)
	if err != nil {
		return nil, nil, err
	}
	a, err := p.apiFor(s, d.secrets)
	return d, a, err
}

// handle is the environment's handle, the same for every Deploy of one environment.
func (d *desired) handle() string {
	st := handleState{Project: d.projectID, Service: slug(d.names.service), OwnProject: d.ownProject}
	if d.volume != nil {
		st.Volume = slug(d.volume.Name)
	}
	return newHandle(st)
}

// rollback removes what a failed Deploy created (or sent a create for), under its own
// timeout even when ctx is cancelled: the service, then the volume, then the environment's
// own project. What cannot be removed is returned as a *providers.PartialError with the
// handle; otherwise cause is returned.
func (p *Provider) rollback(ctx context.Context, a *api, d *desired, m made, cause error) error {
	if !m.project && !m.volume && !m.service {
		return cause
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var left []string
	var errs []error
	gone := func(what string, err error) {
		if err != nil && !isGone(err) {
			left, errs = append(left, what), append(errs, err)
		}
	}
	if m.service {
		gone("service/"+d.projectID+"/"+slug(d.names.service), a.deleteService(cctx, d.projectID, slug(d.names.service)))
	}
	if m.volume {
		gone("volume/"+d.projectID+"/"+slug(d.volume.Name), a.deleteVolume(cctx, d.projectID, slug(d.volume.Name)))
	}
	if m.project {
		gone("project/"+d.projectID, a.deleteProject(cctx, d.projectID))
	}
	if len(left) > 0 {
		return &providers.PartialError{Err: fmt.Errorf("%w (rollback: %w)", cause, errors.Join(errs...)), Remaining: left, Handle: d.handle()}
	}
	return cause
}
