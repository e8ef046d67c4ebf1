package ec2test

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
)

// TestStateTables walks every verb from every state: each move lands on a known state, every
// transitional state settles into a known one, terminate is allowed from everywhere, and the
// moves EC2 refuses are exactly those missing from the table.
func TestStateTables(t *testing.T) {
	t.Parallel()
	refused := map[verb][]string{
		verbStop:  {ec2.StatePending, ec2.StateShuttingDown, ec2.StateTerminated},
		verbStart: {ec2.StateStopping, ec2.StateShuttingDown, ec2.StateTerminated},
	}
	for v, table := range moves {
		for state := range stateCodes {
			next, ok := table[state]
			isRefused := false
			for _, r := range refused[v] {
				isRefused = isRefused || r == state
			}
			switch {
			case ok == isRefused:
				t.Errorf("%s from %s: allowed %v, want allowed %v", v, state, ok, !isRefused)
			case ok:
				if _, known := stateCodes[next]; !known {
					t.Errorf("%s from %s goes to unknown state %q", v, state, next)
				}
			}
		}
	}
	for from, to := range settles {
		if _, ok := stateCodes[from]; !ok {
			t.Errorf("settles from unknown %q", from)
		}
		if _, ok := stateCodes[to]; !ok {
			t.Errorf("settles into unknown %q", to)
		}
		if _, transitional := settles[to]; transitional {
			t.Errorf("%s settles into %s, itself transitional", from, to)
		}
	}
}
