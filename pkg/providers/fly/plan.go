package fly

import (
	"context"
	"fmt"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// Plan implements providers.Provider. It reads the app, its machines, volumes and addresses,
// takes the same decision Deploy would (decide), and runs Deploy's steps against a dry-run
// client: Calls are the exact requests Deploy would send (reads and mutations, ids of what
// does not exist yet as placeholders), ending with the wait. Artifacts["fly.toml"] is the
// equivalent fly.toml, EstimatedCost comes from the price table (pricing.go), and Warnings say
// where Deploy departs from the config (suspend falling back to stop, a region that is not
// Fly's). It has no side effects. Errors: as Deploy's, before any change.
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	d, err := p.resolve(s)
	if err != nil {
		return nil, err
	}
	live, err := p.client(s)
	if err != nil {
		return nil, err
	}
	rec := &rest.Recorder{}
	a := &api{c: live.c.DryRun(rec), w: live.w.DryRun(rec)}
	dc, err := decide(ctx, a, s, d)
	if err != nil {
		return nil, err
	}
	run := &applyRun{p: p, a: a, d: d, dc: dc, r: providers.NopReporter{}, dry: true}
	if err := run.apply(ctx); err != nil {
		return nil, err
	}
	pl := &providers.Plan{
		Provider:      Name,
		Calls:         rec.Lines(),
		Artifacts:     map[string]string{"fly.toml": renderFlyToml(d, dc.region)},
		EstimatedCost: estimate(d),
		Warnings:      append(append([]string(nil), d.warnings...), dc.warnings...),
	}
	if dc.step != machineKeep {
		pl.Calls = append(pl.Calls, fmt.Sprintf("GET /v1/apps/%s/machines/%s/wait?state=started&timeout=5 (until started)", d.App, run.machineID))
	}
	pl.Actions = planActions(d, dc)
	pl.Resources = []providers.PlannedResource{
		{ResourceType: "app", Name: d.App, Config: map[string]any{"organization": d.Org, "region": dc.region}},
		{ResourceType: "volume", Name: homeVolume, Config: map[string]any{"size_gb": d.VolumeSizeGB, "mount": homePath}},
		{ResourceType: "machine", Name: d.Env, Config: map[string]any{"image": d.Image, "cpu_kind": d.Guest.CPUKind,
			"cpus": d.Guest.CPUs, "memory_mb": d.Guest.MemoryMB, "autostop": string(d.Autostop), "ssh_port": d.SSHPort}},
	}
	return pl, nil
}

// planActions renders the decision.
func planActions(d *desired, dc *decision) []providers.PlannedAction {
	var out []providers.PlannedAction
	act := func(a providers.ActionType, res, desc string) {
		out = append(out, providers.PlannedAction{Action: a, Resource: res, Description: desc})
	}
	if dc.createApp {
		act(providers.ActionCreate, "app:"+d.App, fmt.Sprintf("in organization %s (Fly app names are global; the name carries a hash of the repository and env)", d.Org))
	} else {
		act(providers.ActionNone, "app:"+d.App, "exists and is ours")
	}
	if dc.setSecrets {
		desc := "unset the app's secrets"
		if len(d.SecretNames) > 0 {
			desc = "set app secrets " + strings.Join(d.SecretNames, ", ") + " (values never shown)"
		}
		act(providers.ActionUpdate, "secrets:"+d.App, desc)
	}
	if dc.allocV6 {
		act(providers.ActionCreate, "ip:v6", "public IPv6 address for SSH (shared IPv4 carries no raw TCP)")
	}
	if dc.vol == nil {
		act(providers.ActionCreate, "volume:"+homeVolume, fmt.Sprintf("%d GB in %s, mounted at %s", d.VolumeSizeGB, dc.region, homePath))
	} else {
		act(providers.ActionNone, "volume:"+homeVolume, "volume "+dc.vol.ID+" is kept")
	}
	for _, m := range dc.extra {
		act(providers.ActionDelete, "machine:"+m.ID, "a second machine of the environment")
	}
	res := "machine:" + d.Env
	switch dc.step {
	case machineCreate:
		act(providers.ActionCreate, res, "from "+d.Image+", then wait until started")
	case machineRecreate:
		act(providers.ActionDelete, res, dc.why)
		act(providers.ActionCreate, res, "from "+d.Image+", then wait until started")
	case machineUpdate:
		act(providers.ActionUpdate, res, dc.why+": a new version in place, then wait until started")
	case machineStart:
		act(providers.ActionStart, res, dc.why+": start it")
	default:
		act(providers.ActionNone, res, dc.why)
	}
	return out
}
