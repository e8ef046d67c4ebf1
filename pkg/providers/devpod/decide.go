package devpod

import (
	"context"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// action is what Deploy does to a workspace.
type action int

const (
	actKeep     action = iota // running, made from this config: nothing
	actCreate                 // unknown to devpod: write the source, up
	actReplace                // devpod knows it but its container or VM is gone: delete --force, create
	actRecreate               // made from another config (or forced): up --recreate
	actStart                  // stopped (or busy), same config: up
)

var actionNames = [...]string{actKeep: "keep", actCreate: "create", actReplace: "replace", actRecreate: "recreate", actStart: "start"}

// String returns the action's name.
func (a action) String() string { return actionNames[a] }

// decision is the shared result of observing a workspace, for Plan and Deploy.
type decision struct {
	Action action
	State  wsState
	Record *record
}

// decide observes the workspace of d and decides. `up` on an existing id ignores a changed
// devcontainer.json, so the config hash kept in the record tells whether it must be
// recreated; a record still marked pending (no hash: an `up` that never finished) counts as
// another config.
func (p *Provider) decide(ctx context.Context, d *desired, force bool) (*decision, error) {
	st, err := p.status(ctx, p.cfg.Home, d.ID)
	if err != nil {
		return nil, err
	}
	dec := &decision{State: st, Record: readRecord(p.cfg.Home, d.ID)}
	switch {
	case st == wsAbsent:
		dec.Action = actCreate
	case st == wsNotFound:
		dec.Action = actReplace
	case force || dec.Record == nil || dec.Record.Hash != d.Hash:
		dec.Action = actRecreate
	case st == wsRunning:
		dec.Action = actKeep
	default:
		dec.Action = actStart
	}
	return dec, nil
}

// planned maps a decision onto the plan's action type.
func (a action) planned() providers.ActionType {
	switch a {
	case actCreate:
		return providers.ActionCreate
	case actReplace, actRecreate:
		return providers.ActionUpdate
	case actStart:
		return providers.ActionStart
	}
	return providers.ActionNone
}
