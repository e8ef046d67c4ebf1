package e2b

import (
	"context"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handle this package writes:
// e2b/v1:{"sandbox":..,"templates":[..],"timeout":..}.
const handleVersion = 1

// handleState locates an environment without the config: its sandbox, the templates built
// for it, and the timeout Start resumes it with.
type handleState struct {
	Sandbox   string   `json:"sandbox,omitempty"`
	Templates []string `json:"templates,omitempty"`
	Timeout   int      `json:"timeout,omitempty"`
}

func newHandle(st handleState) string {
	h, _ := providers.NewHandle(Name, handleVersion, st)
	return h
}

// handleOf returns s's handle state; the zero state when there is none, it is another
// provider's or it cannot be read (all mean "look again").
func handleOf(s *providers.Spec) handleState {
	var st handleState
	if s == nil || s.Handle == nil || s.Handle.Decode(Name, handleVersion, &st) != nil {
		return handleState{}
	}
	return st
}

// locate finds s's sandbox for the teardown verbs: by metadata (labels win), else through the
// handle's sandbox id when the listing does not show it yet. nil means absent.
func locate(ctx context.Context, a *api, s *providers.Spec) (*sandbox, error) {
	cur, err := find(ctx, a, s.Env, s.Labels)
	if err != nil || cur != nil {
		return cur, err
	}
	id := handleOf(s).Sandbox
	if id == "" {
		return nil, nil
	}
	sb, err := a.getSandbox(ctx, id)
	switch {
	case isGone(err):
		return nil, nil
	case err != nil:
		return nil, err
	case !ours(sb, s.Env):
		return nil, nil // a stale handle: the id names nothing of this environment
	}
	return &sb, nil
}
