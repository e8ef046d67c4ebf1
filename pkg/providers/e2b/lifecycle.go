package e2b

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Status implements providers.Provider from the metadata and the handle; no config.
func (p *Provider) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return nil, err
	}
	cur, err := locate(ctx, a, s)
	if err != nil {
		return nil, err
	}
	st := &providers.Status{Env: s.Env, Provider: Name, State: providers.StateNotDeployed}
	if cur == nil {
		return st, nil
	}
	st.State = stateMap[cur.state()]
	st.InstanceID, st.Image = cur.SandboxID, cur.TemplateID
	st.Addresses = p.addresses(cur.SandboxID, deref(cur.Domain))
	started := cur.StartedAt
	st.Timestamps = providers.Timestamps{StartedAt: &started}
	st.Details = map[string]string{"state": cur.State, "template": cur.TemplateID,
		"handle": newHandle(handleState{Sandbox: cur.SandboxID, Timeout: timeoutOf(s, *cur)})}
	if cur.state() == stateRunning {
		st.Details["ends_at"] = cur.EndAt.UTC().Format(time.RFC3339)
	} else {
		paused := cur.EndAt // a paused sandbox's endAt is when it was paused
		st.Timestamps.StoppedAt = &paused
	}
	if cur.CPUCount > 0 {
		st.Details["cpu_count"], st.Details["memory_mb"] = strconv.Itoa(cur.CPUCount), strconv.Itoa(cur.MemoryMB)
	}
	return st, nil
}

// Stop implements providers.Provider: the sandbox is paused (memory and disk kept; a paused
// sandbox does not count against the concurrency limit). Errors: ErrNotFound when absent.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	a, cur, err := p.locateFor(ctx, s, "stop")
	if err != nil || cur.state() == statePaused {
		return err
	}
	if err := a.pause(ctx, cur.SandboxID); err != nil {
		if isGone(err) {
			return fmt.Errorf("e2b: stop %s: sandbox %s: %w", s.Env, cur.SandboxID, providers.ErrNotFound)
		}
		return fmt.Errorf("e2b: pause sandbox %s: %w", cur.SandboxID, err)
	}
	return p.waitState(ctx, a, cur.SandboxID, statePaused)
}

// Start implements providers.Provider: a paused sandbox is resumed through connect with the
// timeout it was deployed with (from the config, the handle, or its metadata). Errors:
// ErrNotFound when absent; ErrQuota at the concurrency limit.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	a, cur, err := p.locateFor(ctx, s, "start")
	if err != nil || cur.state() == stateRunning {
		return err
	}
	if _, err := a.connect(ctx, cur.SandboxID, timeoutOf(s, *cur)); err != nil {
		if isGone(err) {
			return fmt.Errorf("e2b: start %s: sandbox %s: %w", s.Env, cur.SandboxID, providers.ErrNotFound)
		}
		return fmt.Errorf("e2b: resume sandbox %s: %w", cur.SandboxID, explain(err, nil))
	}
	return p.waitState(ctx, a, cur.SandboxID, stateRunning)
}

// timeoutOf is the timeout to resume s's sandbox with: the config's, else the handle's, else
// the one in its metadata, else 300 s.
func timeoutOf(s *providers.Spec, sb sandbox) int {
	if s.Config != nil && s.Config.Providers.E2B != nil && s.Config.Providers.E2B.Timeout != nil {
		return *s.Config.Providers.E2B.Timeout
	}
	if t := handleOf(s).Timeout; t > 0 {
		return t
	}
	if t, err := strconv.Atoi(sb.Metadata[metaTimeout]); err == nil && t > 0 {
		return t
	}
	return 300
}

// Destroy implements providers.Provider: every sandbox of the environment is killed (404 is
// gone), then the templates built for it. A template E2B still counts as in use is an
// ErrUnavailable to retry.
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return err
	}
	_, err = p.destroy(ctx, a, s, handleOf(s))
	return err
}

// destroy kills env's sandboxes (those found by metadata, and the handle's if it is still
// env's) and deletes the templates built for env (found by name, and the handle's). It
// returns what is left.
func (p *Provider) destroy(ctx context.Context, a *api, s *providers.Spec, h handleState) (left []string, err error) {
	sbs, err := findAll(ctx, a, s.Env, s.Labels)
	if err != nil {
		return []string{"sandboxes of " + s.Env}, err
	}
	if h.Sandbox != "" && !slices.ContainsFunc(sbs, func(sb sandbox) bool { return sb.SandboxID == h.Sandbox }) {
		if cur, err := a.getSandbox(ctx, h.Sandbox); err == nil && ours(cur, s.Env) {
			sbs = append(sbs, cur)
		}
	}
	var errs []error
	for _, sb := range sbs {
		if err := a.kill(ctx, sb.SandboxID); err != nil {
			left = append(left, "sandbox/"+sb.SandboxID)
			errs = append(errs, fmt.Errorf("e2b: kill sandbox %s: %w", sb.SandboxID, err))
		}
	}
	if len(errs) > 0 {
		return left, errors.Join(errs...)
	}
	tpls, err := envTemplates(ctx, a, s.Env, s.Labels[providers.LabelRepo])
	if err != nil {
		return []string{"templates of " + s.Env}, err
	}
	ids := h.Templates
	for _, t := range tpls {
		if !slices.Contains(ids, t.TemplateID) {
			ids = append(ids, t.TemplateID)
		}
	}
	for _, id := range ids {
		if err := a.deleteTemplate(ctx, id); err != nil {
			left = append(left, "template/"+id)
			if status(err) == 400 { // still counted as used by a sandbox that is going away
				err = providers.Transient(err)
			}
			errs = append(errs, fmt.Errorf("e2b: delete template %s: %w", id, err))
		}
	}
	return left, errors.Join(errs...)
}

// locateFor finds s's sandbox for verb. Errors: ErrNotFound when there is none.
func (p *Provider) locateFor(ctx context.Context, s *providers.Spec, verb string) (*api, *sandbox, error) {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return nil, nil, err
	}
	cur, err := locate(ctx, a, s)
	switch {
	case err != nil:
		return nil, nil, err
	case cur == nil:
		return nil, nil, fmt.Errorf("e2b: %s %s: %w", verb, s.Env, providers.ErrNotFound)
	}
	return a, cur, nil
}

// waitState polls sandbox id until it reports want (pause and connect answer once done, so
// this is one read unless the platform lags).
func (p *Provider) waitState(ctx context.Context, a *api, id string, want sandboxState) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DefaultTimeout)
	defer cancel()
	for {
		sb, err := a.getSandbox(ctx, id)
		switch {
		case err == nil && sb.state() == want:
			return nil
		case isGone(err):
			return fmt.Errorf("e2b: sandbox %s: %w", id, providers.ErrNotFound)
		case err != nil && !providers.IsRetryable(err):
			return err
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return fmt.Errorf("e2b: sandbox %s not %s: %w", id, want, err)
		}
	}
}
