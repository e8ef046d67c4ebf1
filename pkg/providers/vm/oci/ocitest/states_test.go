package ocitest

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/vm/oci"
)

// TestStateMachineIsClosed walks every move and settle: each state entered is known, every
// transitional state settles, and every state can be terminated.
func TestStateMachineIsClosed(t *testing.T) {
	t.Parallel()
	all := []string{oci.StateProvisioning, oci.StateStarting, oci.StateRunning, oci.StateStopping,
		oci.StateStopped, oci.StateTerminating, oci.StateTerminated}
	known := map[string]bool{}
	for _, s := range all {
		known[s] = true
	}
	for verb, m := range moves {
		for from, to := range m {
			if !known[from] || !known[to] {
				t.Errorf("%s: %s -> %s names an unknown state", verb, from, to)
			}
			if _, transitional := settles[to]; !transitional && to != oci.StateRunning && to != oci.StateStopped && to != oci.StateTerminated {
				t.Errorf("%s: %s -> %s: %s neither settles nor is a resting state", verb, from, to, to)
			}
		}
	}
	for _, s := range all {
		if _, ok := moves[terminate][s]; !ok {
			t.Errorf("an instance in %s cannot be terminated", s)
		}
	}
	for from, to := range settles {
		if _, again := settles[to]; again {
			t.Errorf("%s settles into %s, which is transitional too", from, to)
		}
	}
}
