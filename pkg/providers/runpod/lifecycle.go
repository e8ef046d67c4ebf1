package runpod

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Status implements providers.Provider from the name, the marker and the handle; no config.
// A RUNNING pod without its public address yet is still creating.
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
	st.State = stateMap[cur.Status]
	if cur.Status == statusRunning && !ready(*cur) {
		st.State = providers.StateCreating
	}
	st.InstanceID, st.Image = cur.ID, cur.Image
	st.Addresses = p.addresses(*cur)
	st.Timestamps = providers.Timestamps{CreatedAt: cur.CreatedAt, StartedAt: cur.StartedAt}
	st.Details = map[string]string{"status": cur.Status.String(), "cloud": cur.Cloud, "handle": newHandle(*cur)}
	if cur.GPUID != "" {
		st.Details["gpu_type"], st.Details["gpu_count"] = cur.GPUID, strconv.Itoa(cur.GPUCount)
	}
	if cur.CostPerHr > 0 {
		st.Details["cost_per_hour_usd"] = strconv.FormatFloat(cur.CostPerHr, 'f', 2, 64)
	}
	return st, nil
}

// Stop implements providers.Provider: the pod stops, its volume is kept. Errors: ErrNotFound
// when absent.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	a, cur, err := p.locateFor(ctx, s, "stop")
	if err != nil || cur.Status == statusExited {
		return err
	}
	if err := a.act(ctx, cur.ID, actionStop); err != nil && !isInvalidTransition(err) {
		return fmt.Errorf("runpod: stop pod %s: %w", cur.ID, err)
	}
	return p.waitStatus(ctx, a, cur.ID, statusExited)
}

// Start implements providers.Provider. The ports a started pod gets are new; they are read
// from the pod, never remembered. Errors: ErrNotFound when absent; ErrCapacity when its host
// has no free GPU to resume it.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	a, cur, err := p.locateFor(ctx, s, "start")
	if err != nil || ready(*cur) {
		return err
	}
	if cur.Status == statusExited || cur.Status == statusError {
		if err := start(ctx, a, cur.ID, podSpec{}); err != nil {
			return err
		}
	}
	_, _, err = p.waitReady(ctx, a, cur.ID, readiness{httpPorts: httpPortsOf(*cur), cloud: cur.Cloud}, p.cfg.DefaultTimeout, providers.NopReporter{})
	return err
}

// Destroy implements providers.Provider: every pod of the environment (and the handle's, if
// it is still the environment's) is terminated. 404 and TERMINATED both mean gone.
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return err
	}
	pods, err := findAll(ctx, a, s.Env)
	if err != nil {
		return err
	}
	if len(pods) == 0 {
		if cur, err := locate(ctx, a, s); err != nil {
			return err
		} else if cur != nil {
			pods = append(pods, *cur)
		}
	}
	for _, pd := range pods {
		if err := a.terminate(ctx, pd.ID); err != nil && !isGone(err) {
			return fmt.Errorf("runpod: terminate pod %s: %w", pd.ID, err)
		}
	}
	return nil
}

// locateFor finds s's pod for verb. Errors: ErrNotFound when there is none.
func (p *Provider) locateFor(ctx context.Context, s *providers.Spec, verb string) (api, *pod, error) {
	a, err := p.apiFor(s, nil)
	if err != nil {
		return nil, nil, err
	}
	cur, err := locate(ctx, a, s)
	switch {
	case err != nil:
		return nil, nil, err
	case cur == nil:
		return nil, nil, fmt.Errorf("runpod: %s %s: %w", verb, s.Env, providers.ErrNotFound)
	}
	return a, cur, nil
}

// waitStatus polls pod id until it reports want.
func (p *Provider) waitStatus(ctx context.Context, a api, id string, want podStatus) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DefaultTimeout)
	defer cancel()
	start := time.Now()
	for {
		cur, err := a.get(ctx, id)
		switch {
		case err == nil && cur.Status == want:
			return nil
		case isGone(err):
			return fmt.Errorf("runpod: pod %s: %w", id, providers.ErrNotFound)
		case err != nil && !providers.IsRetryable(err):
			return err
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return fmt.Errorf("runpod: pod %s not %s after %s: %w", id, want, time.Since(start).Round(time.Second), err)
		}
	}
}
