package vm

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Plan implements providers.Provider. It renders the image's template and scripts
// (Artifacts "<cloud>.pkr.hcl" and "scripts/*.sh"), running `packer version` to choose the
// template mode (the Packer 1.6 form, with a warning, when packer is not installed). On AWS
// it also plans the environment: with credentials it reads EC2 (DescribeImages,
// DescribeInstances; nothing else) to decide as Deploy would, and it writes what the launch
// would send (Artifacts "ec2/run-instances.txt" and "ec2/user-data.yaml") and the estimate.
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, err
	}
	var warnings []string
	_, mode, verr := p.detect(ctx)
	if verr != nil {
		warnings = append(warnings, fmt.Sprintf("the template is rendered for Packer 1.6 (no required_plugins): %v", verr))
		mode = ModeLegacy
	}
	out, err := Render(Input{Config: pc, Mode: mode, Labels: s.Labels, Null: p.cfg.NullBuilder})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	packerCalls := []string{}
	if mode == ModePlugins {
		packerCalls = append(packerCalls, "packer init .")
	}
	packerCalls = append(packerCalls, "packer validate .", "packer build -machine-readable -color=false .")
	plan := &providers.Plan{
		Provider: Name,
		Actions: []providers.PlannedAction{{Action: providers.ActionCreate, Resource: "image/" + pc.ImageName,
			Description: fmt.Sprintf("build image %s-<timestamp> on %s with %s", pc.ImageName, pc.Cloud, out.Builder)}},
		Resources: []providers.PlannedResource{{ResourceType: out.Builder, Name: pc.ImageName,
			Config: map[string]any{"cloud": string(pc.Cloud), "region": region(pc), "mode": mode.String(),
				"files": slices.Sorted(maps.Keys(out.Files))}}},
		Calls:     packerCalls,
		Artifacts: out.Files,
		Warnings:  append(warnings, out.Warnings...),
	}
	if !deploys(pc.Cloud) {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("deploy on %s is not implemented (%s): only the image jobs run there", pc.Cloud, deployClouds()))
		return plan, nil
	}
	if err := p.planInstance(ctx, s, plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// planInstance adds the environment's instance to plan: Deploy's decision when the cloud
// can be read, else what a first Deploy does, with a warning.
func (p *Provider) planInstance(ctx context.Context, s *providers.Spec, plan *providers.Plan) error {
	d, err := resolve(s)
	if err != nil {
		return err
	}
	cp := plans[d.cloud]
	var img *Image
	var found []Instance
	c, cerr := p.connect(s, d.cloud, d.region)
	if cerr == nil {
		if img, err = findImage(ctx, c, d.pc); err != nil {
			return err
		}
		if found, err = observe(ctx, c, s.Env, readHandle(s).Instance); err != nil {
			return err
		}
	} else {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("%s not read (%v): planned as a first deploy", cp.API(), cerr))
	}
	imageRef := "<the image built by packer>"
	calls := []string{cp.Call(opFindImage, d, "")}
	if img != nil {
		imageRef = img.ID
		plan.Actions[0] = providers.PlannedAction{Action: providers.ActionNone, Resource: "image/" + d.pc.ImageName,
			Description: fmt.Sprintf("use image %s (%s, built %s)", img.ID, img.Name, img.CreatedText)}
		plan.Calls = nil
	} else {
		plan.Actions[0].Description += " (none built from this config yet: Deploy builds it first)"
	}
	calls = append(calls, plan.Calls...)
	calls = append(calls, cp.Call(opFindInstances, d, s.Env))
	act := instanceAction(d, img, found)
	plan.Actions = append(plan.Actions, act)
	switch act.Action {
	case providers.ActionCreate:
		calls = append(calls, cp.Call(opCreate, d, imageRef))
	case providers.ActionStart:
		calls = append(calls, cp.Call(opStart, d, found[len(found)-1].ID))
	case providers.ActionUpdate:
		calls = append(calls, cp.Call(opSetTags, d, found[len(found)-1].ID))
	}
	if act.Action != providers.ActionNone {
		calls = append(calls, cp.Call(opWait, d, ""))
	}
	plan.Calls = calls
	plan.Resources = append(plan.Resources, providers.PlannedResource{ResourceType: cp.Resource(), Name: s.Env,
		Config: map[string]any{"region": d.region, "instance_type": d.instanceType, "image": imageRef, "tags": d.tags}})
	if d.delivery, err = p.newDelivery(s, d.region); err != nil {
		return err
	}
	d.delivery.planned, d.secretsPath = true, p.secretsPath
	maps.Copy(plan.Artifacts, cp.Launch(createOf(d, imageRef, "<client token: fresh per deploy>")))
	if names := secretNames(s); len(names) > 0 {
		calls = append(calls, fmt.Sprintf("ssh %s@<instance address> (delivery key): write %s (0600) with %v, when they changed", p.cfg.SSHUser, secretsFile, names))
		plan.Calls = calls
	}
	plan.EstimatedCost = estimate(d, img == nil)
	return nil
}

// instanceAction is what Deploy would do to the environment's instance.
func instanceAction(d *desired, img *Image, found []Instance) providers.PlannedAction {
	res := "instance/" + d.env
	var in *Instance
	for i := len(found) - 1; i >= 0; i-- {
		if found[i].State != instTerminating {
			in = &found[i]
			break
		}
	}
	switch {
	case in == nil:
		return providers.PlannedAction{Action: providers.ActionCreate, Resource: res,
			Description: fmt.Sprintf("launch a %s instance in %s from the image", d.instanceType, d.region)}
	case img == nil || in.ImageID != img.ID || in.Type != d.instanceType:
		return providers.PlannedAction{Action: providers.ActionCreate, Resource: res,
			Description: fmt.Sprintf("replace instance %s (%s, %s): terminate it and launch a %s instance from the image", in.ID, in.ImageID, in.Type, d.instanceType)}
	case in.State == instStopped || in.State == instStopping:
		return providers.PlannedAction{Action: providers.ActionStart, Resource: res, Description: "start instance " + in.ID}
	case tagsDiffer(*in, d.tags):
		return providers.PlannedAction{Action: providers.ActionUpdate, Resource: res, Description: "update the tags of instance " + in.ID}
	}
	return providers.PlannedAction{Action: providers.ActionNone, Resource: res, Description: "instance " + in.ID + " is " + in.CloudState + " as specified"}
}

// Check implements providers.Checker: packer's presence and version, and which clouds have
// their credentials set (names only). It is ready when packer runs; missing credentials are
// problems, since each cloud needs only its own.
func (p *Provider) Check(ctx context.Context) providers.Readiness {
	v, mode, err := p.detect(ctx)
	if err != nil {
		return providers.Readiness{Problems: []string{err.Error()}}
	}
	rd := providers.Readiness{Ready: true, Version: "packer " + v + " (" + mode.String() + " templates)"}
	for _, c := range slices.Sorted(maps.Keys(requiredVars)) {
		for _, name := range requiredVars[c] {
			if p.cfg.Getenv(name) == "" {
				rd.Problems = append(rd.Problems, fmt.Sprintf("%s: %s is not set (needed to build images on %s)", c, name, c))
			}
		}
	}
	return rd
}
