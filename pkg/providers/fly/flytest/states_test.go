package flytest

import "testing"

// TestMachineTransitions walks the transition table: every state has a row, every target is a
// state, only destroyed is terminal, and every state reaches destroyed.
func TestMachineTransitions(t *testing.T) {
	t.Parallel()
	for from, tos := range Transitions {
		for _, to := range tos {
			if _, ok := Transitions[to]; !ok {
				t.Errorf("%s -> %s: %s has no row", from, to, to)
			}
		}
		if len(tos) == 0 && from != stateDestroyed {
			t.Errorf("%s is terminal; only destroyed may be", from)
		}
		seen := map[string]bool{}
		var reach func(string) bool
		reach = func(s string) bool {
			if s == stateDestroyed {
				return true
			}
			if seen[s] {
				return false
			}
			seen[s] = true
			for _, n := range Transitions[s] {
				if reach(n) {
					return true
				}
			}
			return false
		}
		if !reach(from) {
			t.Errorf("%s never reaches destroyed", from)
		}
	}
	for _, s := range []string{stateCreated, stateStarting, stateStarted, stateStopping, stateStopped, stateSuspending,
		stateSuspended, stateReplacing, stateFailed, stateDestroying, stateDestroyed} {
		if _, ok := Transitions[s]; !ok {
			t.Errorf("state %s has no row", s)
		}
	}
}
