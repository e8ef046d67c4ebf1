package fly

import (
	"slices"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handles Deploy writes: `fly/v1:{...}`.
const handleVersion = 1

// handleState is what a fly handle records: the app (its name is derived from Env and the repo
// label, but the prefix setting or the labels may change), the org, and the ids of the
// machines and volumes made, so teardown needs neither the config nor a listing to start.
type handleState struct {
	App      string   `json:"app"`
	Org      string   `json:"org,omitempty"`
	Region   string   `json:"region,omitempty"`
	Machines []string `json:"machines,omitempty"`
	Volumes  []string `json:"volumes,omitempty"`
}

// String returns the handle text.
func (h handleState) String() string {
	slices.Sort(h.Machines)
	slices.Sort(h.Volumes)
	text, err := providers.NewHandle(Name, handleVersion, h)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return text
}

// readHandle returns the state a spec's handle records; the zero state when there is none or
// it cannot be read (a handle is a hint).
func readHandle(h *providers.Handle) handleState {
	var st handleState
	if h == nil || h.Decode(Name, handleVersion, &st) != nil {
		return handleState{}
	}
	return st
}

// target is where an environment lives: its app and, when known, its org.
type target struct {
	app string
	org string
}

// locate returns the environment's app: the name derived from Env and labels; the handle's app
// when it names another (the prefix setting changed since the deploy) and the derived one is
// absent is looked at by the caller through alternates.
func (p *Provider) locate(s *providers.Spec) (primary target, alternates []target) {
	hs := readHandle(s.Handle)
	primary = target{app: AppName(p.cfg.AppPrefix, s.Labels[providers.LabelRepo], s.Env), org: hs.Org}
	if hs.App != "" && hs.App != primary.app {
		alternates = append(alternates, target{app: hs.App, org: hs.Org})
	}
	return primary, alternates
}
