package northflank

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// ArtifactService is the plan artifact holding the service create body, secret values
// redacted.
const ArtifactService = "northflank-service.json"

// Plan implements providers.Provider. It reads (the project, the service, the volumes) and
// records the calls Deploy would make through a dry-run client, which sends nothing that
// changes anything.
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	d, a, err := p.prepare(s)
	if err != nil {
		return nil, err
	}
	rec := &rest.Recorder{}
	dry := &api{c: a.c.DryRun(rec)}
	obs, err := observe(ctx, dry, d)
	if err != nil {
		return nil, err
	}
	dec := decide(obs, d, s.Options.Force)
	if _, err := p.apply(ctx, dry, dec, d, &made{}); err != nil {
		return nil, err
	}
	body, err := json.MarshalIndent(d.redactedBody(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("northflank: render service: %w", err)
	}
	pl := &providers.Plan{
		Provider:  Name,
		Resources: d.resources(),
		Calls:     rec.Lines(),
		Artifacts: map[string]string{ArtifactService: string(body) + "\n"},
		Warnings:  append([]string(nil), d.warnings...),
		Actions:   d.actions(dec),
	}
	for _, f := range obs.foreign {
		pl.Warnings = append(pl.Warnings, f+" exists and is not this environment's: Deploy will be refused with the platform's 409")
	}
	pl.EstimatedCost = costEstimate(d)
	return pl, nil
}

func (d *desired) resources() []providers.PlannedResource {
	proj := map[string]any{"own": d.ownProject}
	if d.region != "" {
		proj["region"] = d.region
	}
	svc := map[string]any{"project": d.projectID, "plan": d.planID(), "instances": d.instances, "image": d.image}
	if d.gpu != nil {
		svc["gpu_type"], svc["gpu_count"] = d.gpu.Configuration.GPUType, d.gpu.Configuration.GPUCount
	}
	if d.autoscale != nil {
		h := d.autoscale.Horizontal
		svc["autoscaling"] = map[string]any{"min": h.MinReplicas, "max": h.MaxReplicas, "cpu_percent": h.CPU.ThresholdPercentage, "memory_percent": h.Memory.ThresholdPercentage}
	}
	out := []providers.PlannedResource{
		{ResourceType: "northflank-project", Name: d.projectID, Config: proj},
		{ResourceType: "northflank-service", Name: slug(d.names.service), Config: svc},
	}
	if v := d.volume; v != nil {
		out = append(out, providers.PlannedResource{ResourceType: "northflank-volume", Name: slug(v.Name),
			Config: map[string]any{"size_mb": v.Spec.StorageSize, "mount_path": v.Mounts[0].ContainerMountPath, "access_mode": v.Spec.AccessMode}})
	}
	return out
}

func (d *desired) actions(dec decision) []providers.PlannedAction {
	var out []providers.PlannedAction
	add := func(a providers.ActionType, kind, name, desc string) {
		out = append(out, providers.PlannedAction{Action: a, Resource: "northflank-" + kind + "/" + name, Description: desc})
	}
	if dec.createProject {
		what := "create the environment's own project " + d.projectID
		if !d.ownProject {
			what = "create project " + d.projectID + " named in sindri.yaml (kept after destroy)"
		}
		if d.region != "" {
			what += " in " + d.region
		}
		add(providers.ActionCreate, "project", d.projectID, what)
	}
	if dec.createVolume {
		add(providers.ActionCreate, "volume", slug(d.volume.Name), fmt.Sprintf("create a %d MB %s volume mounted at %s", d.volume.Spec.StorageSize, accessMode, d.volume.Mounts[0].ContainerMountPath))
	}
	svc := slug(d.names.service)
	what := fmt.Sprintf("deployment service on plan %s, %d instance(s)", d.planID(), d.instances)
	if d.autoscale != nil {
		h := d.autoscale.Horizontal
		what += fmt.Sprintf(", autoscaling %d-%d", h.MinReplicas, h.MaxReplicas)
	}
	switch {
	case dec.replace:
		add(providers.ActionDelete, "service", svc, "delete service "+svc+": "+dec.why)
		add(providers.ActionCreate, "service", svc, "create "+what)
	case dec.action == providers.ActionCreate:
		add(providers.ActionCreate, "service", svc, "create "+what)
	default:
		add(dec.action, "service", svc, dec.why)
		if dec.start && dec.action == providers.ActionUpdate {
			add(providers.ActionStart, "service", svc, "resume the paused service")
		}
	}
	return out
}
