package docker

import (
	"context"

	"github.com/moby/moby/api/types/container"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handles Deploy writes. Version 1 ("docker/v1:<id>",
// written before handles were JSON) is still read.
const handleVersion = 2

// handleState is what a docker handle records: the container Deploy left running. Everything
// else (volumes, network) is found by name and label.
type handleState struct {
	Container string `json:"container"`
}

// newHandle returns the handle text for the container id.
func newHandle(id string) string {
	h, err := providers.NewHandle(Name, handleVersion, handleState{Container: id})
	if err != nil {
		panic(err) // a struct of one string always marshals
	}
	return h
}

// handleContainer returns the container id a spec's handle names, or "" when there is no
// handle or it cannot be read: a handle is a hint, and labels and names win.
func handleContainer(h *providers.Handle) string {
	if h == nil {
		return ""
	}
	if h.Version == 1 {
		var id string
		if h.Decode(Name, 1, &id) != nil {
			return ""
		}
		return id
	}
	var st handleState
	if h.Decode(Name, handleVersion, &st) != nil {
		return ""
	}
	return st.Container
}

// locate returns the environment's container: the one named <env> when it exists (names and
// labels win), else the container the handle names when it still carries the env's labels
// (an interrupted replace left it set aside under another name). nil means none. A container
// named <env> that is not ours is an error wrapping providers.ErrConflict.
func (p *Provider) locate(ctx context.Context, s *providers.Spec) (*container.InspectResponse, error) {
	o := ownerOf(s)
	c, err := p.ownedContainer(ctx, s.Env, o)
	if err != nil || c != nil {
		return c, err
	}
	id := handleContainer(s.Handle)
	if id == "" {
		return nil, nil
	}
	c, err = p.ownedContainer(ctx, id, o)
	if err != nil {
		if isConflict(err) {
			return nil, nil // the id names someone else's container now: the hint is stale
		}
		return nil, err
	}
	return c, nil
}
