package vm

import "github.com/sindri/deploy/v3/pkg/providers"

// handleVersion is the version of the handle Deploy writes.
const handleVersion = 1

// handleState is what the handle records: everything a config-less teardown needs to find
// the instance (the reaper sends no config). Version 1 is the first.
type handleState struct {
	Cloud    string `json:"cloud"`
	Region   string `json:"region"`
	Instance string `json:"instance"`
}

// readHandle returns the handle's state; a missing or undecodable handle is the zero state
// (a hint only: tags find the instance).
func readHandle(s *providers.Spec) handleState {
	var st handleState
	if s.Handle == nil || s.Handle.Decode(Name, handleVersion, &st) != nil {
		return handleState{}
	}
	return st
}

func newHandle(region, instance string) string {
	h, _ := providers.NewHandle(Name, handleVersion, handleState{Cloud: "aws", Region: region, Instance: instance})
	return h
}
