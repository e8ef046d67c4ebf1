package providers

import (
	"encoding/json"
	"fmt"
)

// State is an environment's lifecycle state. Its JSON values are the upstream ones.
type State int

// States.
const (
	StateUnknown State = iota
	StateNotDeployed
	StateCreating
	StateRunning
	StateStopped
	StateSuspended
	StatePaused
	StateError
	StateDestroying
)

var stateNames = [...]string{
	StateUnknown:     "unknown",
	StateNotDeployed: "notdeployed",
	StateCreating:    "creating",
	StateRunning:     "running",
	StateStopped:     "stopped",
	StateSuspended:   "suspended",
	StatePaused:      "paused",
	StateError:       "error",
	StateDestroying:  "destroying",
}

// String returns the upstream JSON value.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// ParseState returns the State for an upstream JSON value, or an error naming the valid ones.
func ParseState(v string) (State, error) {
	for i, n := range stateNames {
		if n == v {
			return State(i), nil
		}
	}
	return StateUnknown, fmt.Errorf("unknown state %q; valid: notdeployed, creating, running, stopped, suspended, paused, error, destroying, unknown", v)
}

// MarshalJSON encodes the upstream string value.
func (s State) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON decodes the upstream string value.
func (s *State) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	st, err := ParseState(v)
	if err != nil {
		return err
	}
	*s = st
	return nil
}
