package fly

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// stateMap maps Fly machine states (fly.md §3.12) to providers.State. Upstream had no entry
// for failed, suspending, replacing, updating or destroyed.
var stateMap = map[string]providers.State{
	"created":       providers.StateCreating,
	"creating":      providers.StateCreating,
	"starting":      providers.StateCreating,
	"restarting":    providers.StateCreating,
	"updating":      providers.StateCreating,
	"replacing":     providers.StateCreating,
	"started":       providers.StateRunning,
	"stopping":      providers.StateStopped,
	"stopped":       providers.StateStopped,
	"suspending":    providers.StateSuspended,
	"suspended":     providers.StateSuspended,
	"failed":        providers.StateError,
	"launch_failed": providers.StateError,
	"destroying":    providers.StateDestroying,
	"destroyed":     providers.StateDestroying,
}

// mapState maps a machine state; unknown for anything else.
func mapState(s string) providers.State {
	if st, ok := stateMap[s]; ok {
		return st
	}
	return providers.StateUnknown
}

// found is an environment located on the platform.
type found struct {
	t target
	// app is nil when no app was found.
	app *app
	// machines are the env's live machines, oldest first.
	machines []machine
}

// find locates the environment from Env, its labels and the handle: the derived app name
// first, then the handle's app when it names another. Errors: providers.ErrConflict for an
// app that is not ours, API errors.
func (p *Provider) find(ctx context.Context, a *api, s *providers.Spec) (*found, error) {
	primary, alternates := p.locate(s)
	for _, t := range append([]target{primary}, alternates...) {
		ap, all, err := observeApp(ctx, a, t, s.Env)
		if err != nil {
			return nil, err
		}
		if ap == nil {
			continue
		}
		f := &found{t: t, app: ap}
		for _, m := range all {
			if m.State != "destroyed" && m.State != "destroying" {
				f.machines = append(f.machines, m)
			}
		}
		slices.SortStableFunc(f.machines, func(x, y machine) int { return strings.Compare(x.CreatedAt, y.CreatedAt) })
		return f, nil
	}
	return &found{t: primary}, nil
}

// Status implements providers.Provider. No app is StateNotDeployed with a nil error; an app
// without a machine (an interrupted Deploy) is StateError; otherwise the machine's state
// through stateMap. Errors: providers.ErrConflict (the app name is held by someone else),
// MissingCredential, API errors.
func (p *Provider) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	if err := specEnv(s); err != nil {
		return nil, err
	}
	a, err := p.client(s)
	if err != nil {
		return nil, err
	}
	f, err := p.find(ctx, a, s)
	if err != nil {
		return nil, err
	}
	st := &providers.Status{Env: s.Env, Provider: Name, State: providers.StateNotDeployed}
	if f.app == nil {
		return st, nil
	}
	st.Details = map[string]string{"app": f.t.app}
	if len(f.machines) == 0 {
		st.State = providers.StateError
		st.Details["reason"] = "the app exists without a machine (an interrupted deploy): deploy again or destroy"
		return st, nil
	}
	m := f.machines[0]
	st.State = mapState(m.State)
	st.InstanceID = m.ID
	st.Image = m.Config.Image
	st.Details["machine_state"] = m.State
	st.Details["region"] = m.Region
	st.Details["version"] = m.InstanceID
	if len(m.Config.Mounts) > 0 {
		st.Details["volume"] = m.Config.Mounts[0].Volume
	}
	host := f.t.app + ".fly.dev"
	for _, svc := range m.Config.Services {
		for _, port := range svc.Ports {
			st.Addresses = append(st.Addresses, providers.Address{Type: providers.AddressSSH, Value: host, Port: port.Port})
		}
	}
	if m.PrivateIP != "" {
		st.Addresses = append(st.Addresses, providers.Address{Type: providers.AddressInternal, Value: m.PrivateIP})
	}
	st.Timestamps.CreatedAt = parseTime(m.CreatedAt)
	st.Timestamps.UpdatedAt = parseTime(m.UpdatedAt)
	return st, nil
}

func parseTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil
	}
	return &t
}

// machineOf returns the env's machine, or providers.ErrNotFound.
func (p *Provider) machineOf(ctx context.Context, s *providers.Spec) (*api, *found, error) {
	if err := specEnv(s); err != nil {
		return nil, nil, err
	}
	a, err := p.client(s)
	if err != nil {
		return nil, nil, err
	}
	f, err := p.find(ctx, a, s)
	if err != nil {
		return nil, nil, err
	}
	if f.app == nil || len(f.machines) == 0 {
		return nil, nil, fmt.Errorf("fly: environment %s: no machine: %w", s.Env, providers.ErrNotFound)
	}
	return a, f, nil
}

// suspendable reports whether Fly may suspend the machine: Deploy sets autostop "suspend" only
// for machines of at most 2 GB without swap (fly.md §3.7).
func suspendable(m machine) bool {
	if m.Config.Init.SwapSizeMB > 0 || m.Config.Guest.MemoryMB > suspendMaxMB {
		return false
	}
	return slices.ContainsFunc(m.Config.Services, func(s machineService) bool { return s.Autostop == autostopSuspend })
}

// Stop implements providers.Provider: it suspends a machine that may be suspended and stops
// any other, and returns once it is suspended or stopped. Stopping a stopped or suspended
// environment is success. Errors: providers.ErrNotFound when there is no machine, API errors.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	a, f, err := p.machineOf(ctx, s)
	if err != nil {
		return err
	}
	m := f.machines[0]
	if suspendable(m) {
		return p.transition(ctx, a, f.t.app, m.ID, "suspend", "suspended", false, p.cfg.Timeout, "stopped")
	}
	return p.transition(ctx, a, f.t.app, m.ID, "stop", "stopped", false, p.cfg.Timeout, "suspended")
}

// Start implements providers.Provider: it starts (or resumes) the machine and returns once it
// is started. Starting a running environment is success. Errors: providers.ErrNotFound when
// there is no machine, API errors.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	a, f, err := p.machineOf(ctx, s)
	if err != nil {
		return err
	}
	return p.startMachine(ctx, a, f.t.app, f.machines[0].ID, false)
}

// Destroy implements providers.Provider: machines (force), then volumes once Fly unbinds them,
// then the app, and it returns once the app answers 404. It needs no config: the app comes from
// Env, the labels and the handle. An absent app, or a name another organization holds, is
// success. Errors: providers.ErrConflict for an app of ours by name whose machines are not the
// env's, MissingCredential, API errors.
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	if err := specEnv(s); err != nil {
		return err
	}
	a, err := p.client(s)
	if err != nil {
		return err
	}
	primary, alternates := p.locate(s)
	h := readHandle(s.Handle)
	for _, t := range append([]target{primary}, alternates...) {
		err := p.teardown(ctx, a, t, s.Env, h)
		if err != nil && !(errors.Is(err, providers.ErrConflict) && apiStatus(err) == http.StatusForbidden) {
			return err
		}
	}
	return nil
}

// teardown removes app t and everything in it, in order: machines, volumes, the app.
func (p *Provider) teardown(ctx context.Context, a *api, t target, env string, h handleState) error {
	ap, all, err := observeApp(ctx, a, t, env)
	if err != nil || ap == nil {
		return err
	}
	ids := map[string]bool{}
	for _, m := range all {
		if m.State != "destroyed" {
			ids[m.ID] = true
		}
	}
	if h.App == t.app {
		for _, id := range h.Machines {
			ids[id] = true
		}
	}
	for _, id := range sortedKeys(ids) {
		if err := ignoreStatus(a.destroyMachine(ctx, t.app, id), http.StatusNotFound); err != nil {
			return err
		}
		if err := p.waitDestroyed(ctx, a, t.app, id); err != nil {
			return err
		}
	}
	vols, err := a.listVolumes(ctx, t.app)
	if err != nil {
		return err
	}
	vids := map[string]bool{}
	for _, v := range vols {
		if !softDeleted[v.State] {
			vids[v.ID] = true
		}
	}
	if h.App == t.app {
		for _, id := range h.Volumes {
			vids[id] = true
		}
	}
	for _, id := range sortedKeys(vids) {
		if err := p.deleteVolume(ctx, a, t.app, id); err != nil {
			return err
		}
	}
	if err := ignoreStatus(a.deleteApp(ctx, t.app), http.StatusNotFound); err != nil {
		return err
	}
	return p.waitAppGone(ctx, a, t.app)
}

// deleteVolume deletes a volume, retrying while Fly still holds it bound to its destroyed
// machine (412 or 409, for up to VolumeUnbind). A missing volume is success.
func (p *Provider) deleteVolume(ctx context.Context, a *api, appName, id string) error {
	deadline := time.Now().Add(p.cfg.VolumeUnbind)
	for {
		err := ignoreStatus(a.deleteVolume(ctx, appName, id), http.StatusNotFound)
		if err == nil || !stateConflict(err) || time.Now().After(deadline) {
			return err
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return err
		}
	}
}

// waitAppGone polls GET app until it answers 404 (deletion is asynchronous, fly.md §2.5).
func (p *Provider) waitAppGone(ctx context.Context, a *api, appName string) error {
	deadline := time.Now().Add(p.cfg.AppGone)
	for {
		_, err := a.getApp(ctx, appName)
		switch {
		case apiStatus(err) == http.StatusNotFound:
			return nil
		case err != nil && !providers.IsRetryable(err):
			return err
		case time.Now().After(deadline):
			return fmt.Errorf("fly: app %s still exists %v after its deletion: %w", appName, p.cfg.AppGone, providers.ErrUnavailable)
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return err
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
