package e2b

import (
	"context"
	"fmt"
	"slices"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// decision is what Deploy does, and what Plan shows: both run decide and apply.
type decision struct {
	action providers.ActionType
	// sb is the environment's sandbox as observed (nil: none).
	sb *sandbox
	// template is the template the sandbox runs (an id or a name); build: it is built first.
	template string
	build    bool
	// replace: the sandbox is killed and a new one created (settings only a new sandbox can
	// take, a rebuilt template, or Options.Force).
	replace bool
	// resume: the sandbox is paused and is resumed.
	resume bool
	// lifecycle: the sandbox's autoPause differs; it is paused and resumed with the new one.
	lifecycle bool
	// stale are templates built for env that the sandbox no longer runs.
	stale    []string
	why      string
	warnings []string
}

// decide observes env's sandbox and templates and decides. Errors: the lookups', or the
// two-sandbox refusal.
func decide(ctx context.Context, a *api, d *desired, s *providers.Spec) (decision, error) {
	var dec decision
	cur, err := find(ctx, a, d.env, s.Labels)
	if err != nil {
		return dec, err
	}
	if cur != nil {
		// The listing has no lifecycle: read the sandbox itself.
		sb, err := a.getSandbox(ctx, cur.SandboxID)
		switch {
		case isGone(err):
			cur = nil
		case err != nil:
			return dec, fmt.Errorf("e2b: get sandbox %s: %w", cur.SandboxID, err)
		default:
			cur = &sb
		}
	}
	dec.sb = cur
	if err := dec.chooseTemplate(ctx, a, d, s); err != nil {
		return dec, err
	}
	switch {
	case cur == nil:
		dec.action, dec.why = providers.ActionCreate, "no sandbox carries "+providers.LabelEnv+"="+d.env
	case s.Options.Force:
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, "forced"
	case cur.Metadata[metaConfigHash] != d.hash:
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, "the template, env vars or network changed, which E2B cannot change in a sandbox (a new sandbox is created; its files are lost)"
	case dec.build:
		dec.action, dec.replace, dec.why = providers.ActionUpdate, true, "the template is built again (buildOnDeploy or reuseTemplate: false), so a new sandbox runs it"
	case (cur.Lifecycle != nil && (cur.Lifecycle.OnTimeout == "pause") != d.autoPause):
		dec.action, dec.lifecycle, dec.why = providers.ActionUpdate, true, fmt.Sprintf("autoPause changes to %t (the sandbox is paused and resumed with it; its state is kept)", d.autoPause)
		dec.resume = cur.state() == statePaused
	case cur.state() == statePaused:
		dec.action, dec.resume, dec.why = providers.ActionStart, true, "the sandbox is paused"
	default:
		dec.action, dec.why = providers.ActionNone, "the sandbox is as specified (its timeout is set again)"
	}
	return dec, nil
}

// chooseTemplate decides which template the sandbox runs: the one built for the image
// (building it when no ready build exists), or the alias, or E2B's default.
func (dec *decision) chooseTemplate(ctx context.Context, a *api, d *desired, s *providers.Spec) error {
	if !d.tpl.build {
		dec.template = d.tpl.alias
		if d.tpl.alias == DefaultTemplate {
			dec.warnings = append(dec.warnings, fmt.Sprintf("no deployment.image: the sandbox runs E2B's default template %q (set deployment.image to have a template built from your image)", DefaultTemplate))
			return nil
		}
		ok, err := a.aliasExists(ctx, d.tpl.alias)
		if err != nil {
			return fmt.Errorf("e2b: look up template %s: %w", d.tpl.alias, explain(err, d))
		}
		if !ok {
			dec.template = DefaultTemplate
			dec.warnings = append(dec.warnings, fmt.Sprintf("no deployment.image and no template %q (providers.e2b.templateAlias) in the team: the sandbox runs E2B's default template %q", d.tpl.alias, DefaultTemplate))
		}
		return nil
	}
	mine, err := envTemplates(ctx, a, d.env, s.Labels[providers.LabelRepo])
	if err != nil {
		return err
	}
	dec.build = true
	for _, t := range mine {
		if !slices.Contains(t.Names, d.tpl.name) {
			dec.stale = append(dec.stale, t.TemplateID)
			continue
		}
		dec.template = t.TemplateID
		// buildID is the template's last successful build.
		dec.build = t.BuildID == "" || d.tpl.rebuild || s.Options.Force
	}
	return nil
}
