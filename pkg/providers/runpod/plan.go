package runpod

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// ArtifactPod is the plan artifact holding the pod create body, secret values redacted.
const ArtifactPod = "runpod-pod.json"

// Plan implements providers.Provider. It reads (lists the pods) and records the calls Deploy
// would make through a dry-run client, which sends nothing that changes anything.
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	d, a, err := p.prepare(s)
	if err != nil {
		return nil, err
	}
	rec := &rest.Recorder{}
	dry := *a
	dry.c = a.c.DryRun(rec)
	dec, err := decide(ctx, &dry, d, s.Options.Force)
	if err != nil {
		return nil, err
	}
	if _, _, err := p.apply(ctx, &dry, dec, d); err != nil {
		return nil, err
	}
	body, err := json.MarshalIndent(d.redactedBody(&dry), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("runpod: render pod: %w", err)
	}
	res := map[string]any{"image": d.spec.Image, "cloud_type": d.spec.Cloud, "container_disk_gb": d.spec.DiskGB,
		"volume_gb": d.spec.VolumeGB, "volume_mount_path": d.spec.VolumePath, "ports": d.spec.Ports}
	what := "CPU pod"
	if g := d.spec.GPU; g != nil {
		res["gpu_type"], res["gpu_count"] = g.ID, g.Count
		what = fmt.Sprintf("pod with %d x %s", g.Count, g.ID)
	} else {
		res["cpu_flavor"], res["vcpu_count"] = d.spec.CPU.Flavor, d.spec.CPU.VCPUs
		what = fmt.Sprintf("CPU pod (%s, %d vCPUs)", d.spec.CPU.Flavor, d.spec.CPU.VCPUs)
	}
	if len(d.spec.DataCenters) > 0 {
		res["data_center"] = d.spec.DataCenters[0]
	}
	pl := &providers.Plan{
		Provider:  Name,
		Resources: []providers.PlannedResource{{ResourceType: "runpod-pod", Name: d.env, Config: res}},
		Calls:     rec.Lines(),
		Artifacts: map[string]string{ArtifactPod: string(body) + "\n"},
		Warnings:  d.warnings,
	}
	switch {
	case dec.replace:
		pl.Actions = append(pl.Actions,
			providers.PlannedAction{Action: providers.ActionDelete, Resource: "runpod-pod/" + d.env, Description: "terminate pod " + dec.pod.ID + ": " + dec.why},
			providers.PlannedAction{Action: providers.ActionCreate, Resource: "runpod-pod/" + d.env, Description: "create RunPod " + what})
	case dec.action == providers.ActionCreate:
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: providers.ActionCreate, Resource: "runpod-pod/" + d.env, Description: "create RunPod " + what})
	default:
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: dec.action, Resource: "runpod-pod/" + d.env, Description: dec.why})
		if dec.start && dec.action == providers.ActionUpdate {
			pl.Actions = append(pl.Actions, providers.PlannedAction{Action: providers.ActionStart, Resource: "runpod-pod/" + d.env, Description: "start the stopped pod"})
		}
	}
	pl.EstimatedCost = costEstimate(d)
	return pl, nil
}
