package e2b

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// Plan artifacts: the sandbox create body and the template build body, secrets redacted.
const (
	ArtifactSandbox  = "e2b-sandbox.json"
	ArtifactTemplate = "e2b-template.json"
)

// Plan implements providers.Provider. It reads (lists sandboxes and templates) and records
// the calls Deploy would make through a dry-run client, which sends nothing that changes
// anything.
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	d, a, err := p.prepare(s)
	if err != nil {
		return nil, err
	}
	rec := &rest.Recorder{}
	dry := &api{c: a.c.DryRun(rec)}
	dec, err := decide(ctx, dry, d, s)
	if err != nil {
		return nil, err
	}
	res, err := p.apply(ctx, dry, dec, d, providers.NopReporter{}, false)
	if err != nil {
		return nil, err
	}
	body := d.redactedBody()
	body.TemplateID = res.template
	arts := map[string]string{ArtifactSandbox: indent(body)}
	res0 := map[string]any{"template": res.template, "timeout_seconds": d.timeout, "auto_pause": d.autoPause,
		"auto_resume": d.body.AutoResume != nil}
	if d.tpl.build {
		b := buildStart{FromImage: d.tpl.image, Steps: []any{}}
		if d.tpl.registry != nil {
			b.FromImageRegistry = &registryAuth{Type: "registry", Username: "[redacted]", Password: "[redacted]"}
		}
		arts[ArtifactTemplate] = indent(struct {
			Request buildRequest `json:"request"`
			Start   buildStart   `json:"start"`
		}{buildRequest{Name: d.tpl.name, CPUCount: d.tpl.cpu, MemoryMB: d.tpl.memoryMB}, b})
		res0["template"], res0["cpu_count"], res0["memory_mb"], res0["image"] = d.tpl.name, d.tpl.cpu, d.tpl.memoryMB, d.tpl.image
	}
	pl := &providers.Plan{
		Provider:  Name,
		Resources: []providers.PlannedResource{{ResourceType: "e2b-sandbox", Name: d.env, Config: res0}},
		Calls:     rec.Lines(),
		Artifacts: arts,
		Warnings:  append(d.warnings, dec.warnings...),
	}
	if dec.build {
		pl.Resources = append(pl.Resources, providers.PlannedResource{ResourceType: "e2b-template", Name: d.tpl.name,
			Config: map[string]any{"from_image": d.tpl.image, "cpu_count": d.tpl.cpu, "memory_mb": d.tpl.memoryMB}})
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: providers.ActionCreate, Resource: "e2b-template/" + d.tpl.name,
			Description: fmt.Sprintf("build template %s from %s (%d vCPU, %d MiB)", d.tpl.name, d.tpl.image, d.tpl.cpu, d.tpl.memoryMB)})
	}
	what := "e2b-sandbox/" + d.env
	switch {
	case dec.replace:
		pl.Actions = append(pl.Actions,
			providers.PlannedAction{Action: providers.ActionDelete, Resource: what, Description: "kill sandbox " + dec.sb.SandboxID + ": " + dec.why},
			providers.PlannedAction{Action: providers.ActionCreate, Resource: what, Description: "create a sandbox from template " + res.template})
	case dec.action == providers.ActionCreate:
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: providers.ActionCreate, Resource: what,
			Description: fmt.Sprintf("create a sandbox from template %s (timeout %d s, autoPause %t)", res.template, d.timeout, d.autoPause)})
	default:
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: dec.action, Resource: what, Description: dec.why})
	}
	for _, id := range dec.stale {
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: providers.ActionDelete, Resource: "e2b-template/" + id, Description: "a template built for an earlier image or size"})
	}
	hourly, monthly, notes := estimate(d)
	// A paused sandbox pays no compute; its snapshot's storage is not priced by E2B today.
	stopped := 0.0
	pl.EstimatedCost = &providers.CostEstimate{Hourly: &hourly, Monthly: &monthly, StoppedHourly: &stopped,
		Basis: priceSource, Currency: "USD", Notes: notes}
	return pl, nil
}

func indent(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b) + "\n"
}
