package northflanktest

import "testing"

// TestTransitionsWalk walks the table from PENDING for both images and checks every status is
// reached and the walk ends where it must.
func TestTransitionsWalk(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		crashing bool
		want     []string
	}{
		{false, []string{Pending, InProgress, Completed}},
		{true, []string{Pending, InProgress, Failed}},
	} {
		s, got := Pending, []string{Pending}
		for range len(transitions) {
			n := next(s, tc.crashing)
			if n == s {
				break
			}
			s = n
			got = append(got, s)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("crashing=%v: walk %v, want %v", tc.crashing, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("crashing=%v: walk %v, want %v", tc.crashing, got, tc.want)
			}
		}
	}
	for s := range transitions {
		if next(next(next(s, false), false), false) != Completed && s != Failed {
			t.Errorf("%s does not reach COMPLETED", s)
		}
	}
	if containerStatus(Completed, false) != "TASK_RUNNING" || containerStatus(InProgress, true) != "TASK_FAILED" {
		t.Error("container statuses")
	}
}
