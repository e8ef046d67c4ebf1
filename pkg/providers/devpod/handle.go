package devpod

import (
	"github.com/sindri/deploy/v3/pkg/providers"
)

// handleVersion is the version of the handle this provider writes.
const handleVersion = 1

// handleState is the handle's JSON: devpod/v1:{"id":…,"backend":…,"home":…}. The home is
// where devpod's registry of the workspace lives; without it another executor (or this one
// with another home) would not find the workspace.
type handleState struct {
	ID      string `json:"id"`
	Backend string `json:"backend"`
	Home    string `json:"home"`
}

// located is what teardown verbs work on.
type located struct {
	Env     string
	ID      string
	Backend string // "" when neither the handle nor a record says
	Home    string
}

// locate finds the workspace of s without config: the handle's id and home when it has a
// readable one (a hint), else the id derived from Env and this provider's home; the record
// under that home fills the backend.
func (p *Provider) locate(s *providers.Spec) (located, error) {
	if err := p.ready(); err != nil {
		return located{}, err
	}
	l := located{Env: s.Env, ID: workspaceID(s.Env), Home: p.cfg.Home}
	var h handleState
	if s.Handle != nil && s.Handle.Decode(Name, handleVersion, &h) == nil {
		if h.ID != "" {
			l.ID = h.ID
		}
		if h.Home != "" {
			l.Home = h.Home
		}
		l.Backend = h.Backend
	}
	if r := readRecord(l.Home, l.ID); r != nil && r.Backend != "" {
		l.Backend = r.Backend
	}
	return l, nil
}

// handle returns the handle text of a workspace.
func (p *Provider) handle(d *desired) (string, error) {
	return providers.NewHandle(Name, handleVersion, handleState{ID: d.ID, Backend: d.Backend.Type, Home: p.cfg.Home})
}
