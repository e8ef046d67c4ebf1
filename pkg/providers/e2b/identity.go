package e2b

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// errTwoSandboxes is the refusal when more than one sandbox carries one environment's metadata.
var errTwoSandboxes = errors.New("more than one sandbox carries this environment")

// ours reports whether sandbox sb is environment env's: its metadata names env and the
// managed-by mark.
func ours(sb sandbox, env string) bool {
	return sb.Metadata[providers.LabelEnv] == env && sb.Metadata[providers.LabelManagedBy] == providers.ManagedByValue
}

// findAll returns every sandbox of env (running or paused), ordered by id.
func findAll(ctx context.Context, a *api, env string, labels map[string]string) ([]sandbox, error) {
	all, err := a.listSandboxes(ctx, filterFor(env, labels))
	if err != nil {
		return nil, fmt.Errorf("e2b: find sandboxes of %s: %w", env, explain(err, nil))
	}
	var out []sandbox
	for _, sb := range all {
		if ours(sb, env) {
			out = append(out, sb)
		}
	}
	slices.SortFunc(out, func(x, y sandbox) int { return strings.Compare(x.SandboxID, y.SandboxID) })
	return out, nil
}

// find returns env's one sandbox (nil when there is none). Two or more are refused: which is
// the environment cannot be decided safely. Errors: ErrConflict wrapping errTwoSandboxes.
func find(ctx context.Context, a *api, env string, labels map[string]string) (*sandbox, error) {
	sbs, err := findAll(ctx, a, env, labels)
	switch {
	case err != nil:
		return nil, err
	case len(sbs) == 0:
		return nil, nil
	case len(sbs) > 1:
		ids := make([]string, len(sbs))
		for i, sb := range sbs {
			ids[i] = sb.SandboxID
		}
		return nil, fmt.Errorf("e2b: %w: sandboxes %s all carry %s=%s; destroy the environment (or kill all but one), then deploy again: %w",
			errTwoSandboxes, strings.Join(ids, ", "), providers.LabelEnv, env, providers.ErrConflict)
	}
	return &sbs[0], nil
}

// envTemplates returns the ids of the templates built for env (of repo when known).
func envTemplates(ctx context.Context, a *api, env, repo string) ([]template, error) {
	all, err := a.listTemplates(ctx)
	if err != nil {
		return nil, fmt.Errorf("e2b: list templates: %w", explain(err, nil))
	}
	var out []template
	for _, t := range all {
		if slices.ContainsFunc(t.Names, func(n string) bool { return templateOfEnv(n, env, repo) }) {
			out = append(out, t)
		}
	}
	return out, nil
}
