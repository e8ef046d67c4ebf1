package northflank

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Status implements providers.Provider from the handle, the names and the tags; no config.
func (p *Provider) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return nil, err
	}
	l, err := locate(ctx, a, s)
	if err != nil {
		return nil, err
	}
	st := &providers.Status{Env: s.Env, Provider: Name, State: providers.StateNotDeployed}
	if l == nil || l.service == nil {
		return st, nil
	}
	cur := l.service
	st.State = stateOf(*cur)
	st.InstanceID, st.Image = l.project+"/"+cur.ID, cur.Deployment.External.ImagePath
	st.Addresses = addresses(*cur)
	st.Timestamps = providers.Timestamps{CreatedAt: cur.CreatedAt, UpdatedAt: cur.UpdatedAt}
	st.Details = map[string]string{"project": l.project, "service": cur.ID, "plan": cur.Billing.DeploymentPlan,
		"deployment_status": cur.Status.Deployment.Status, "paused": strconv.FormatBool(cur.ServicePaused),
		"instances": strconv.Itoa(cur.Deployment.Instances), "handle": newHandle(l.handle())}
	if g := cur.Deployment.GPU; g != nil && g.Enabled {
		st.Details["gpu_type"], st.Details["gpu_count"] = g.Configuration.GPUType, strconv.Itoa(g.Configuration.GPUCount)
	}
	return st, nil
}

// Stop implements providers.Provider: the service is paused (scaled to 0, no compute billed);
// its volume is kept. Errors: ErrNotFound when absent.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	a, l, err := p.locateFor(ctx, s, "stop")
	if err != nil || l.service.ServicePaused {
		return err
	}
	if err := a.pause(ctx, l.project, l.service.ID); err != nil && !isConflict(err) {
		return fmt.Errorf("northflank: pause service %s: %w", l.service.ID, explain(err, nil))
	}
	return p.waitPaused(ctx, a, l.project, l.service.ID)
}

// Start implements providers.Provider: a paused service is resumed (409, not paused, is
// success) and waited for. Errors: ErrNotFound when absent; ErrWorkloadFailed when it fails
// as it starts.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	a, l, err := p.locateFor(ctx, s, "start")
	if err != nil {
		return err
	}
	if !l.service.ServicePaused && stateOf(*l.service) == providers.StateRunning {
		return nil
	}
	if l.service.ServicePaused {
		if err := resume(ctx, a, l.project, l.service.ID); err != nil {
			return err
		}
	}
	_, err = p.waitReady(ctx, a, l.project, l.service.ID, p.cfg.DefaultTimeout, secretValues(s), providers.NopReporter{})
	return err
}

// Destroy implements providers.Provider: the service (with its attached volume), any other
// volume of the environment, and the environment's own project are deleted. A project the
// config named is never deleted. 404 means gone.
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return err
	}
	n := namesFor("", s.Labels[providers.LabelRepo], s.Env)
	l, err := locate(ctx, a, s)
	if err != nil {
		return err
	}
	if l != nil && l.service != nil {
		if err := a.deleteService(ctx, l.project, l.service.ID); err != nil && !isGone(err) {
			return fmt.Errorf("northflank: delete service %s: %w", l.service.ID, explain(err, nil))
		}
	}
	// Volumes left without a service (a cancelled deploy) in any project the env may use.
	projects := candidateProjects(s)
	if l != nil && !slices.Contains(projects, l.project) {
		projects = append(projects, l.project)
	}
	for _, pid := range projects {
		vols, err := a.listVolumes(ctx, pid)
		if isGone(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("northflank: list volumes of %s: %w", pid, err)
		}
		for _, v := range vols {
			if !ours(v.Tags, n) {
				continue
			}
			if err := a.deleteVolume(ctx, pid, v.ID); err != nil && !isGone(err) {
				return fmt.Errorf("northflank: delete volume %s: %w", v.ID, err)
			}
		}
	}
	if l != nil && l.ownProject {
		if err := a.deleteProject(ctx, l.project); err != nil && !isGone(err) {
			return fmt.Errorf("northflank: delete project %s: %w", l.project, explain(err, nil))
		}
	}
	return nil
}

// locateFor finds s's service for verb. Errors: ErrNotFound when there is none.
func (p *Provider) locateFor(ctx context.Context, s *providers.Spec, verb string) (*api, *located, error) {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return nil, nil, err
	}
	l, err := locate(ctx, a, s)
	switch {
	case err != nil:
		return nil, nil, err
	case l == nil || l.service == nil:
		return nil, nil, fmt.Errorf("northflank: %s %s: %w", verb, s.Env, providers.ErrNotFound)
	}
	return a, l, nil
}

// waitPaused polls the service until it reports servicePaused.
func (p *Provider) waitPaused(ctx context.Context, a *api, project, id string) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DefaultTimeout)
	defer cancel()
	start := time.Now()
	for {
		cur, err := a.getService(ctx, project, id)
		switch {
		case err == nil && cur.ServicePaused:
			return nil
		case isGone(err):
			return fmt.Errorf("northflank: service %s: %w", id, providers.ErrNotFound)
		case err != nil && !providers.IsRetryable(err):
			return err
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return fmt.Errorf("northflank: service %s not paused after %s: %w", id, time.Since(start).Round(time.Second), err)
		}
	}
}

// secretValues are s's secret values, for redacting log lines.
func secretValues(s *providers.Spec) []string {
	var out []string
	for _, sv := range s.Secrets {
		if sv.Value != nil && sv.Value.Reveal() != "" {
			out = append(out, sv.Value.Reveal())
		}
	}
	return out
}
