package devpod

import (
	"context"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// ArtifactName is the devcontainer.json's name in Plan.Artifacts (and in the folder
// `local plan --artifacts DIR` writes).
const ArtifactName = ".devcontainer/devcontainer.json"

// Plan implements providers.Provider. It only reads: devpod's provider list and the
// workspace's status, and the record. The decision is Deploy's (decide); the calls are the
// exact devpod commands Deploy would run, the secret file's path shown as a placeholder.
// Errors: those of resolve and of the devpod calls.
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	d, err := p.resolve(s)
	if err != nil {
		return nil, err
	}
	if err := p.ready(); err != nil {
		return nil, err
	}
	var b = d.Backend
	names, err := p.jsonKeys(ctx, p.cfg.Home, d, s, "provider", "list", "--output", "json")
	if err != nil {
		return nil, err
	}
	dec, err := p.decide(ctx, d, s.Options.Force)
	if err != nil {
		return nil, err
	}
	pl := &providers.Plan{
		Provider:  Name,
		Calls:     p.calls(d, dec, names[b.Provider]),
		Artifacts: map[string]string{ArtifactName: string(d.Devcontainer)},
		Warnings:  d.Warnings,
	}
	if c := b.RequiredCredential; c != "" && credential(p.cfg.Getenv, s, c) == "" {
		pl.Warnings = append(pl.Warnings, fmt.Sprintf("credential %s is not set on the executor: Deploy would fail", c))
	}
	pl.Actions = append(pl.Actions, providers.PlannedAction{Action: providers.ActionCreate, Resource: "file:" + ArtifactName,
		Description: "write the workspace's devcontainer.json under DEVPOD_HOME"})
	if !names[b.Provider] {
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: providers.ActionCreate, Resource: "provider:" + b.Provider,
			Description: "devpod provider add " + p.source(b)})
	}
	desc := map[action]string{
		actKeep:     "running, made from this config: nothing to do",
		actCreate:   "devpod up a new workspace",
		actReplace:  "devpod knows the workspace but its container or machine is gone: delete it and up again",
		actRecreate: "made from another config: devpod up --recreate",
		actStart:    "stopped: devpod up starts it",
	}[dec.Action]
	pl.Actions = append(pl.Actions, providers.PlannedAction{Action: dec.Action.planned(), Resource: "workspace:" + d.ID, Description: desc})
	cfg := map[string]any{"backend": b.Type, "devpod_provider": b.Provider, "image": d.Image, "options": d.Options}
	res := s.Config.Deployment.Resources
	if res.Memory != "" {
		cfg["memory"] = res.Memory
	}
	if n := res.CPUCount(); n > 0 {
		cfg["cpus"] = n
	}
	pl.Resources = append(pl.Resources, providers.PlannedResource{ResourceType: "workspace", Name: d.ID, Config: cfg})
	if d.Volume != "" {
		pl.Resources = append(pl.Resources, providers.PlannedResource{ResourceType: "volume", Name: d.Volume})
	}
	return pl, nil
}
