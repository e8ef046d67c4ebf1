package runpod

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// errTwoPods is the refusal when more than one live pod carries one environment's marker.
var errTwoPods = errors.New("more than one pod carries this environment")

// ours reports whether pod p is environment env's: the exact name and the SINDRI_ENV marker
// read back from its env. A pod of the same name without the marker is someone else's.
func ours(p pod, env string) bool {
	return p.Name == env && p.Env[envMarker] == env && !p.gone()
}

// findAll returns every live pod of env, ordered by id.
func findAll(ctx context.Context, a api, env string) ([]pod, error) {
	all, err := a.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("runpod: find pods of %s: %w", env, explain(err, podSpec{}))
	}
	var out []pod
	for _, p := range all {
		if ours(p, env) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(x, y pod) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// find returns env's one pod (nil when there is none). Two or more are refused: which is
// the environment cannot be decided safely, and removing one might remove the user's data.
// Errors: ErrConflict wrapping errTwoPods, or the list error.
func find(ctx context.Context, a api, env string) (*pod, error) {
	pods, err := findAll(ctx, a, env)
	switch {
	case err != nil:
		return nil, err
	case len(pods) == 0:
		return nil, nil
	case len(pods) > 1:
		ids := make([]string, len(pods))
		for i, p := range pods {
			ids[i] = p.ID
		}
		return nil, fmt.Errorf("runpod: %w: pods %s are all named %s with %s=%s; terminate all but one in the RunPod console (or destroy the environment), then deploy again: %w",
			errTwoPods, strings.Join(ids, ", "), env, envMarker, env, providers.ErrConflict)
	}
	return &pods[0], nil
}
