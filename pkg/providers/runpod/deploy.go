package runpod

import (
	"context"
	"errors"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Deploy implements providers.Provider: find-or-create env's pod, update it in place or
// start it when needed, and wait until it is ready. A pod this call created and could not
// bring up is terminated again; when that fails, the error is a *providers.PartialError.
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
	dec, err := decide(ctx, a, d, s.Options.Force)
	if err != nil {
		return nil, err
	}
	r.Progress(string(dec.action), 3, steps)
	if dec.action != providers.ActionNone {
		r.Log(fmt.Sprintf("runpod: %s pod %s: %s", dec.action, d.env, dec.why))
	}
	cur, created, err := p.apply(ctx, a, dec, d)
	if err != nil {
		return nil, p.rollback(ctx, a, d, created || dec.action == providers.ActionCreate || dec.replace, cur, err)
	}
	r.Progress("wait", 4, steps)
	timeout := s.Options.Timeout
	if timeout <= 0 {
		timeout = p.cfg.DefaultTimeout
	}
	ready, note, err := p.waitReady(ctx, a, cur.ID, readiness{httpPorts: d.httpPorts, cloud: d.spec.Cloud}, timeout, r)
	if err != nil {
		if created {
			return nil, p.rollback(ctx, a, d, true, cur, err)
		}
		return nil, &providers.PartialError{Err: err, Remaining: []string{"pod/" + cur.ID}, Handle: newHandle(cur)}
	}
	r.Progress("ready", 5, steps)
	dep := &providers.Deployment{
		Env: s.Env, Provider: Name, Handle: newHandle(ready), State: providers.StateRunning,
		Connection: p.connection(ready, d.httpPorts), Changed: dec.action != providers.ActionNone,
		Warnings: d.warnings,
	}
	if note != "" {
		dep.Warnings = append(dep.Warnings, note)
	}
	if dec.action != providers.ActionNone {
		dep.Messages = append(dep.Messages, fmt.Sprintf("pod %s: %s (%s)", ready.ID, dec.action, dec.why))
	}
	return dep, nil
}

// prepare resolves s for Plan and Deploy and returns the API client for it, which redacts
// the environment's secret values.
func (p *Provider) prepare(s *providers.Spec) (*desired, *apiV2, error) {
	d, err := resolve(s, &apiV2{})
	if err != nil {
		return nil, nil, err
	}
	a, err := p.apiFor(s, d.secrets)
	return d, a, err
}

// rollback removes what a failed Deploy made (made: it created, or may have created, a pod)
// under its own timeout, even when ctx is cancelled. What cannot be removed is returned as a
// *providers.PartialError with a handle; otherwise cause is returned.
func (p *Provider) rollback(ctx context.Context, a api, d *desired, made bool, cur pod, cause error) error {
	if !made {
		if cur.ID != "" {
			return &providers.PartialError{Err: cause, Remaining: []string{"pod/" + cur.ID}, Handle: newHandle(cur)}
		}
		return cause
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	// The create may have taken effect although its answer never came: look by name and marker.
	pods, err := findAll(cctx, a, d.env)
	if err != nil {
		pods = nil
		if cur.ID != "" {
			pods = []pod{cur}
		}
	}
	var left []string
	var leftPod pod
	for _, pd := range pods {
		if terr := a.terminate(cctx, pd.ID); terr != nil && !isGone(terr) {
			left = append(left, "pod/"+pd.ID)
			leftPod = pd
			err = errors.Join(err, terr)
		}
	}
	if err != nil || len(left) > 0 {
		if leftPod.ID == "" {
			leftPod = pod{ID: cur.ID, Name: d.env}
		}
		if len(left) == 0 {
			left = []string{"pod named " + d.env}
		}
		return &providers.PartialError{Err: fmt.Errorf("%w (rollback: %v)", cause, err), Remaining: left, Handle: newHandle(leftPod)}
	}
	return cause
}
