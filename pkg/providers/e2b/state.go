package e2b

import "github.com/sindri/deploy/v3/pkg/providers"

// sandboxState is a sandbox's public state. The API has only running and paused: a pausing
// sandbox is reported paused, a killing one is 404 (gone), and there is no stopped state.
type sandboxState int

const (
	stateUnknown sandboxState = iota
	stateRunning
	statePaused
)

var stateNames = [...]string{stateUnknown: "unknown", stateRunning: "running", statePaused: "paused"}

// String returns the API's word.
func (s sandboxState) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// parseState reads the API's word; anything else is stateUnknown.
func parseState(v string) sandboxState {
	for i, n := range stateNames {
		if n == v && i != int(stateUnknown) {
			return sandboxState(i)
		}
	}
	return stateUnknown
}

// stateMap is the one table from sandbox state to environment state. A sandbox that is gone
// (404) is StateNotDeployed, decided where it is looked up.
var stateMap = map[sandboxState]providers.State{
	stateUnknown: providers.StateUnknown,
	stateRunning: providers.StateRunning,
	statePaused:  providers.StatePaused,
}

func (sb sandbox) state() sandboxState { return parseState(sb.State) }
