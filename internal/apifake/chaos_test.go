package apifake

import (
	"slices"
	"testing"
)

func TestChaosIsLowRateAndSeeded(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) (faults []string, made, ok int) {
		f := newThings(t, nil, Chaos(seed))
		for range 200 {
			if got := f.create(t); got.status == 201 {
				ok++
			}
		}
		for _, e := range f.api.Requests() {
			faults = append(faults, e.Fault)
		}
		return faults, f.count(), ok
	}
	a, made, ok := run(3)
	b, _, _ := run(3)
	if !slices.Equal(a, b) {
		t.Errorf("seed 3 gave different faults:\n%q\n%q", a, b)
	}
	kinds := map[string]int{}
	for _, f := range a {
		kinds[f]++
	}
	for _, k := range []string{"chaos 429", "chaos 503", "chaos lost create", "chaos delay"} {
		if kinds[k] == 0 {
			t.Errorf("no %q in 200 creates: %v", k, kinds)
		}
	}
	if ok < 150 {
		t.Errorf("%d of 200 creates succeeded, want a low fault rate", ok)
	}
	// Lost creates were made; 429s and 503s were not.
	if want := ok + kinds["chaos lost create"]; made != want {
		t.Errorf("things made = %d, want %d (succeeded + lost)", made, want)
	}
}
