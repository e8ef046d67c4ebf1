package main

import (
	"path/filepath"

	"github.com/sindri/deploy/v3/pkg/providers/builtin"
)

// localBlocks are the provider settings of `sindri-action local`, which has no executor.hcl:
// devpod keeps its registry of workspaces in one folder for every local call
// (SINDRI_DEVPOD_HOME, else $XDG_STATE_HOME/sindri-action/devpod, else
// ~/.local/state/sindri-action/devpod), so that `local connect`, `stop` and `destroy` find
// the workspace `local deploy` made; with a temporary folder per process, devpod's registry
// would be gone when deploy exits. No folder is made until devpod is used. With no home
// directory at all, devpod keeps its temporary folder.
func localBlocks(getenv func(string) string) map[string]builtin.Block {
	home := getenv("SINDRI_DEVPOD_HOME")
	if home == "" {
		state := getenv("XDG_STATE_HOME")
		if state == "" && getenv("HOME") != "" {
			state = filepath.Join(getenv("HOME"), ".local", "state")
		}
		if state != "" {
			home = filepath.Join(state, "sindri-action", "devpod")
		}
	}
	if home == "" {
		return nil
	}
	return map[string]builtin.Block{"devpod": {Source: "sindri-action local",
		Values: map[string]builtin.Value{"home": {Text: home, Source: "SINDRI_DEVPOD_HOME or the XDG state folder"}}}}
}
