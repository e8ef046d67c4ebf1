package vm

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// deployHint says what to do instead of deploying an environment with this provider.
const deployHint = "the packer provider builds VM images (image-build, image-validate, image-list, image-delete); deploying an environment from an image is not implemented yet: deploy with another provider"

// Plan implements providers.Provider: the template and scripts a build would run
// (Artifacts "<cloud>.pkr.hcl" and "scripts/*.sh"), and the packer commands. It runs
// `packer version` to choose the template mode, and renders the Packer 1.6 form with a
// warning when packer is not installed.
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
	calls := []string{}
	if mode == ModePlugins {
		calls = append(calls, "packer init .")
	}
	calls = append(calls, "packer validate .", "packer build -machine-readable -color=false .")
	return &providers.Plan{
		Provider: Name,
		Actions: []providers.PlannedAction{{Action: providers.ActionCreate, Resource: "image/" + pc.ImageName,
			Description: fmt.Sprintf("build image %s-<timestamp> on %s with %s", pc.ImageName, pc.Cloud, out.Builder)}},
		Resources: []providers.PlannedResource{{ResourceType: out.Builder, Name: pc.ImageName,
			Config: map[string]any{"cloud": string(pc.Cloud), "region": region(pc), "mode": mode.String(),
				"files": slices.Sorted(maps.Keys(out.Files))}}},
		Calls:     calls,
		Artifacts: out.Files,
		Warnings:  append(warnings, out.Warnings...),
	}, nil
}

// Deploy implements providers.Provider: it returns ErrUnsupported with a hint.
func (p *Provider) Deploy(context.Context, *providers.Spec, providers.Reporter) (*providers.Deployment, error) {
	return nil, fmt.Errorf("%s: deploy: %s: %w", Name, deployHint, providers.ErrUnsupported)
}

// Status implements providers.Provider: this provider makes no environments, so every one
// is StateNotDeployed.
func (p *Provider) Status(_ context.Context, s *providers.Spec) (*providers.Status, error) {
	return &providers.Status{Env: s.Env, Provider: Name, State: providers.StateNotDeployed}, nil
}

// Destroy implements providers.Provider: nothing was made for an environment, so there is
// nothing to remove (success, as for any environment already gone).
func (p *Provider) Destroy(context.Context, *providers.Spec) error { return nil }

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
