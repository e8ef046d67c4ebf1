package runpod

import (
	"context"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handle this package writes: runpod/v1:{"pod":..,"name":..}.
const handleVersion = 1

// handleState locates a pod without the config.
type handleState struct {
	Pod  string `json:"pod"`
	Name string `json:"name"`
}

func newHandle(p pod) string {
	h, _ := providers.NewHandle(Name, handleVersion, handleState{Pod: p.ID, Name: p.Name})
	return h
}

// handlePod returns the pod id s's handle names, or "" (no handle, another provider's, or
// undecodable: all mean "look again").
func handlePod(s *providers.Spec) string {
	var st handleState
	if s == nil || s.Handle == nil || s.Handle.Decode(Name, handleVersion, &st) != nil {
		return ""
	}
	return st.Pod
}

// locate finds s's environment pod for the teardown verbs: by name and marker (labels win),
// else through the handle's pod id when the list does not show it. nil means absent.
func locate(ctx context.Context, a api, s *providers.Spec) (*pod, error) {
	cur, err := find(ctx, a, s.Env)
	if err != nil || cur != nil {
		return cur, err
	}
	id := handlePod(s)
	if id == "" {
		return nil, nil
	}
	p, err := a.get(ctx, id)
	switch {
	case isGone(err):
		return nil, nil
	case err != nil:
		return nil, err
	case !ours(p, s.Env):
		return nil, nil // a stale handle: the id names nothing of this environment
	}
	return &p, nil
}
