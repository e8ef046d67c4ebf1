package alicloudtest

import (
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud"
)

// TestStateMachineIsClosed walks every move and settle: each status is known, transitional
// ones settle into a resting status in at most two steps, and every resting status can be
// released.
func TestStateMachineIsClosed(t *testing.T) {
	t.Parallel()
	resting := map[string]bool{alicloud.StatusRunning: true, alicloud.StatusStopped: true, deleted: true}
	for verb, m := range moves {
		for from, to := range m {
			if _, transitional := settles[from]; !transitional && !resting[from] {
				t.Errorf("%s from unknown status %s", verb, from)
			}
			if _, transitional := settles[to]; !transitional && !resting[to] {
				t.Errorf("%s: %s -> %s: %s is unknown", verb, from, to, to)
			}
		}
	}
	for from := range settles {
		s := from
		for range 3 {
			if next, ok := settles[s]; ok {
				s = next
			}
		}
		if !resting[s] {
			t.Errorf("%s never settles (ends at %s)", from, s)
		}
	}
	for s := range resting {
		if s != deleted {
			if _, ok := moves["DeleteInstance"][s]; !ok {
				t.Errorf("an instance %s cannot be released", s)
			}
		}
	}
}
