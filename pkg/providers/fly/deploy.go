package fly

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// deploySteps are Deploy's progress steps, in order.
var deploySteps = []string{"app", "secrets", "address", "volume", "machine", "started"}

// Deploy implements providers.Provider: find-or-create of the app, secrets, IPv6 address, home
// volume and machine (see decide), then a wait until the machine is started. It returns once
// Status would say running. A machine that keeps exiting fails Deploy within seconds with its
// exit codes. On a permanent failure everything this call made is removed again when it made
// the app; otherwise, or when that removal fails, the error is a *providers.PartialError naming
// what is left, with a handle. Errors: providers.ErrInvalidSpec, ErrConflict (the app name is
// taken), ErrAuth, ErrQuota, ErrCapacity, ErrUnavailable and other API errors.
func (p *Provider) Deploy(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Deployment, error) {
	if r == nil {
		r = providers.NopReporter{}
	}
	d, err := p.resolve(s)
	if err != nil {
		return nil, err
	}
	a, err := p.client(s)
	if err != nil {
		return nil, err
	}
	dc, err := decide(ctx, a, s, d)
	if err != nil {
		return nil, err
	}
	run := &applyRun{p: p, a: a, d: d, dc: dc, r: r, deadline: time.Now().Add(p.timeoutFor(s))}
	if err := run.apply(ctx); err != nil {
		return nil, p.failed(ctx, run, err)
	}
	dep := &providers.Deployment{
		Env:        s.Env,
		Provider:   Name,
		Handle:     run.handle().String(),
		State:      providers.StateRunning,
		Connection: connection(d.App, d.SSHPort),
		Changed:    dc.changes(),
		Warnings:   append(append([]string(nil), d.warnings...), dc.warnings...),
	}
	if dc.changes() {
		dep.Messages = append(dep.Messages, fmt.Sprintf("machine %s in app %s: %s (%s)", run.machineID, d.App, dc.step, dc.why))
	}
	return dep, nil
}

// applyRun carries out a decision. In a dry run (Plan) its client records mutations instead of
// sending them, and it neither waits nor reads what a mutation would have made.
type applyRun struct {
	p        *Provider
	a        *api
	d        *desired
	dc       *decision
	r        providers.Reporter
	dry      bool
	deadline time.Time

	// What exists, as this run learns it.
	appExists  bool
	madeApp    bool
	machineID  string
	volumeID   string
	secretsVer *uint64
}

func (run *applyRun) step(i int) {
	run.r.Progress(deploySteps[i], i+1, len(deploySteps))
}

// handle records what exists.
func (run *applyRun) handle() handleState {
	h := handleState{App: run.d.App, Org: run.d.Org, Region: run.dc.region}
	if run.machineID != "" {
		h.Machines = []string{run.machineID}
	}
	if run.volumeID != "" {
		h.Volumes = []string{run.volumeID}
	}
	return h
}

func (run *applyRun) apply(ctx context.Context) error {
	d, dc := run.d, run.dc
	run.step(0)
	if err := run.ensureApp(ctx); err != nil {
		return err
	}
	run.step(1)
	if dc.setSecrets {
		if err := run.setSecrets(ctx); err != nil {
			return err
		}
	}
	run.step(2)
	if dc.allocV6 {
		if err := run.allocateV6(ctx); err != nil {
			return err
		}
	}
	run.step(3)
	if dc.vol != nil {
		run.volumeID = dc.vol.ID
	} else if err := run.createVolume(ctx); err != nil {
		return err
	}
	run.step(4)
	for _, m := range dc.extra {
		run.r.Log(fmt.Sprintf("fly: destroying extra machine %s of %s", m.ID, d.Env))
		if err := run.destroyMachine(ctx, m.ID); err != nil {
			return err
		}
	}
	since := time.Now().UnixMilli()
	if err := run.machine(ctx); err != nil {
		return err
	}
	run.step(5)
	if run.dry {
		return nil
	}
	if err := run.p.waitStarted(ctx, run.a, d.App, run.machineID, since, run.deadline); err != nil {
		return err
	}
	return run.refreshLabels(ctx)
}

// ensureApp finds or creates the app. A create whose answer is lost is found by GET (Recover);
// a name_taken answer (422, or 409 from older servers) means GET again: ours is fine, 403 is a
// collision. A new app may answer 404, or even 401, for a while (fly.md §2.3): that is waited
// out, never reported as a bad token.
func (run *applyRun) ensureApp(ctx context.Context) error {
	d := run.d
	if !run.dc.createApp {
		run.appExists = true
		return nil
	}
	run.r.Log(fmt.Sprintf("fly: creating app %s in organization %s", d.App, d.Org))
	err := run.a.createApp(ctx, d.App, d.Org, func(ctx context.Context) (bool, error) {
		_, err := run.a.getApp(ctx, d.App)
		return err == nil, ignoreStatus(err, http.StatusNotFound, http.StatusUnauthorized)
	})
	taken := apiCode(err) == statusNameTaken || apiStatus(err) == http.StatusConflict
	if err != nil && !taken {
		return err
	}
	run.madeApp = !taken
	if run.dry {
		run.appExists = true
		return nil
	}
	if err := run.p.waitAppVisible(ctx, run.a, target{app: d.App, org: d.Org}, d.Env, taken); err != nil {
		return err
	}
	run.appExists = true
	return nil
}

// ignoreStatus returns nil for an API error of one of the statuses, else err.
func ignoreStatus(err error, statuses ...int) error {
	for _, st := range statuses {
		if apiStatus(err) == st {
			return nil
		}
	}
	return err
}

// waitAppVisible polls GET app until the new app shows, waiting out 404 and 401 for
// AppVisible. After a name_taken answer a 403 is a collision.
func (p *Provider) waitAppVisible(ctx context.Context, a *api, t target, env string, taken bool) error {
	deadline := time.Now().Add(p.cfg.AppVisible)
	for {
		ap, _, err := observeApp(ctx, a, t, env)
		switch {
		case err == nil && ap != nil:
			return nil
		case errors.Is(err, providers.ErrConflict) && taken:
			return err
		case err != nil && apiStatus(err) != http.StatusUnauthorized && !errors.Is(err, providers.ErrConflict):
			return err
		case time.Now().After(deadline):
			if err == nil {
				err = fmt.Errorf("fly: app %s: created but still not visible after %v: %w", t.app, p.cfg.AppVisible, providers.ErrUnavailable)
			}
			return err
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return err
		}
	}
}

// setSecrets sets the env's secrets and unsets app secrets it no longer has, in one call, and
// keeps the version for the machine's min_secrets_version.
func (run *applyRun) setSecrets(ctx context.Context) error {
	d := run.d
	values := map[string]*string{}
	if !run.dc.createApp {
		have, err := run.a.listSecrets(ctx, d.App)
		if err != nil {
			return err
		}
		for _, s := range have {
			values[s.Name] = nil
		}
	}
	for n, v := range d.secrets {
		values[n] = &v
	}
	if len(values) == 0 {
		return nil
	}
	ver, err := run.a.setSecrets(ctx, d.App, values, d.secretValues())
	if err != nil {
		return err
	}
	if !run.dry {
		run.secretsVer = &ver
	}
	return nil
}

// allocateV6 gives the app its public IPv6 address, which carries SSH (raw TCP); a shared
// IPv4 address would not (fly.md §5.2).
func (run *applyRun) allocateV6(ctx context.Context) error {
	return run.a.allocateIP(ctx, run.d.App, "v6", func(ctx context.Context) (bool, error) {
		ips, err := run.a.listIPs(ctx, run.d.App)
		return hasPublicV6(ips), err
	})
}

// createVolume creates the home volume in the region; a lost answer is found by listing.
func (run *applyRun) createVolume(ctx context.Context) error {
	d := run.d
	run.r.Log(fmt.Sprintf("fly: creating volume %s (%d GB) in %s", homeVolume, d.VolumeSizeGB, run.dc.region))
	var v volume
	err := run.a.createVolume(ctx, d.App, createVolumeRequest{Name: homeVolume, Region: run.dc.region, SizeGB: d.VolumeSizeGB,
		SnapshotRetention: snapshotRetention, Compute: &d.Guest}, &v, func(ctx context.Context) (bool, error) {
		vols, err := run.a.listVolumes(ctx, d.App)
		if live := liveHomeVolumes(vols); err == nil && len(live) > 0 {
			v = live[0]
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return regionFix(err, run.dc.region)
	}
	run.volumeID = v.ID
	if run.dry {
		run.volumeID = "<new volume>"
	}
	if v.Region != "" {
		run.dc.region = v.Region
	}
	return nil
}

// regionFix adds the fix to a refusal that names the region.
func regionFix(err error, region string) error {
	var ae *providers.APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusUnprocessableEntity || ae.Status == http.StatusBadRequest) && containsAny(ae.Message, []string{"region"}) {
		return fmt.Errorf("%w; set providers.fly.region to a Fly region (not %q)", err, region)
	}
	return err
}

// machine creates, replaces, updates or starts the machine as decided.
func (run *applyRun) machine(ctx context.Context) error {
	d, dc := run.d, run.dc
	cfg := d.machineConfig(run.volumeID)
	if dc.mach != nil {
		run.machineID = dc.mach.ID
	}
	switch dc.step {
	case machineKeep:
		return nil
	case machineStart:
		return run.p.startMachine(ctx, run.a, d.App, run.machineID, run.dry)
	case machineUpdate:
		run.r.Log(fmt.Sprintf("fly: updating machine %s: %s", run.machineID, dc.why))
		return run.a.updateMachine(ctx, d.App, run.machineID, updateMachineRequest{Config: cfg, MinSecretsVersion: run.secretsVer}, &machine{})
	case machineRecreate:
		run.r.Log(fmt.Sprintf("fly: replacing machine %s: %s", run.machineID, dc.why))
		if err := run.destroyMachine(ctx, run.machineID); err != nil {
			return err
		}
		run.machineID = ""
		if err := run.waitUnbound(ctx); err != nil {
			return err
		}
	}
	return run.createMachine(ctx, cfg)
}

// waitUnbound waits until Fly no longer holds the home volume bound to a destroyed machine
// (up to about a minute, fly.md §4), so the new machine can mount it.
func (run *applyRun) waitUnbound(ctx context.Context) error {
	if run.dry {
		return nil
	}
	deadline := time.Now().Add(run.p.cfg.VolumeUnbind)
	for {
		vols, err := run.a.listVolumes(ctx, run.d.App)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(vols, func(v volume) bool { return v.ID == run.volumeID })
		if i < 0 || vols[i].AttachedMachineID == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fly: volume %s still bound to machine %s after %v: %w", run.volumeID, vols[i].AttachedMachineID, run.p.cfg.VolumeUnbind, providers.ErrUnavailable)
		}
		if err := ctxwait.Sleep(ctx, run.p.cfg.PollInterval); err != nil {
			return err
		}
	}
}

// createMachine creates the machine. Create is not idempotent (fly.md §3.3): after a lost or
// ambiguous answer the client lists by the env's metadata before anything is sent again, so
// there are never two machines.
func (run *applyRun) createMachine(ctx context.Context, cfg machineConfig) error {
	d := run.d
	run.r.Log(fmt.Sprintf("fly: creating machine for %s in %s", d.Env, run.dc.region))
	var m machine
	err := run.a.createMachine(ctx, d.App, createMachineRequest{Name: d.Env, Region: run.dc.region, Config: cfg, MinSecretsVersion: run.secretsVer}, &m,
		func(ctx context.Context) (bool, error) {
			ms, err := run.a.listMachines(ctx, d.App, metaEnv, d.Env)
			for _, found := range ms {
				if ours(found, d.Env) && found.State != "destroyed" && found.State != "destroying" {
					m = found
					return true, nil
				}
			}
			return false, err
		})
	if err != nil {
		return regionFix(err, run.dc.region)
	}
	run.machineID = m.ID
	if run.dry {
		run.machineID = "<new machine>"
	}
	return nil
}

func (run *applyRun) destroyMachine(ctx context.Context, id string) error {
	if err := ignoreStatus(run.a.destroyMachine(ctx, run.d.App, id), http.StatusNotFound); err != nil {
		return err
	}
	if run.dry {
		return nil
	}
	return run.p.waitDestroyed(ctx, run.a, run.d.App, id)
}

// refreshLabels rewrites the labels metadata when only volatile labels (expiry, job id)
// changed, without a new machine version.
func (run *applyRun) refreshLabels(ctx context.Context) error {
	want := metadataFor(run.d.Env, run.d.labels, "", "")[metaLabels]
	if run.dc.mach == nil || run.dc.step != machineKeep && run.dc.step != machineStart {
		return nil
	}
	if run.dc.mach.Config.Metadata[metaLabels] == want {
		return nil
	}
	return run.a.setMachineMetadata(ctx, run.d.App, run.machineID, metaLabels, want)
}

// failed turns an apply error into what Deploy returns: after a permanent failure of a run
// that made the app, the app is destroyed again (under its own timeout, even when ctx is
// cancelled); otherwise, or when that fails, a *providers.PartialError names what is left.
func (p *Provider) failed(ctx context.Context, run *applyRun, err error) error {
	if !run.appExists && !run.madeApp {
		return err
	}
	permanent := !providers.IsRetryable(err) && ctx.Err() == nil
	if run.madeApp && (permanent || ctx.Err() != nil) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		rerr := p.teardown(cctx, run.a, target{app: run.d.App, org: run.d.Org}, run.d.Env, run.handle())
		if rerr == nil {
			return err
		}
		err = errors.Join(err, fmt.Errorf("fly: roll back app %s: %w", run.d.App, rerr))
	}
	h := run.handle()
	remaining := []string{"app/" + h.App}
	for _, v := range h.Volumes {
		remaining = append(remaining, "volume/"+v)
	}
	for _, m := range h.Machines {
		remaining = append(remaining, "machine/"+m)
	}
	return &providers.PartialError{Err: err, Remaining: remaining, Handle: h.String()}
}

// connection says how to reach the environment: SSH on the app's IPv6 address (raw TCP does
// not cross Fly's shared IPv4), or flyctl's console over Fly's own tunnel.
func connection(appName string, sshPort int) *providers.Connection {
	host := appName + ".fly.dev"
	return &providers.Connection{
		SSHCommand:  fmt.Sprintf("ssh -6 developer@%s -p %d", host, sshPort),
		ExecCommand: fmt.Sprintf("fly ssh console -a %s", appName),
		Instructions: fmt.Sprintf("SSH reaches %s over IPv6 (the app has no dedicated IPv4; Fly's shared IPv4 carries only HTTP and TLS). Without IPv6, use `fly ssh console -a %s` or `fly proxy %d:%d -a %s` and ssh to localhost.",
			host, appName, sshPort, sshdPort, appName),
	}
}
