package jobs

import (
	"encoding/json"
	"testing"
)

// allowed is written independently of the transitions table: every pair not listed here must
// be refused.
var allowed = map[[2]Status]bool{
	{StatusQueued, StatusAccepted}:       true,
	{StatusQueued, StatusFailed}:         true,
	{StatusQueued, StatusSuperseded}:     true,
	{StatusQueued, StatusCanceled}:       true,
	{StatusAccepted, StatusRunning}:      true,
	{StatusAccepted, StatusRetrying}:     true,
	{StatusAccepted, StatusSuperseded}:   true,
	{StatusAccepted, StatusFailed}:       true,
	{StatusAccepted, StatusCanceled}:     true,
	{StatusAccepted, StatusDeadlettered}: true,
	{StatusRunning, StatusSucceeded}:     true,
	{StatusRunning, StatusFailed}:        true,
	{StatusRunning, StatusRetrying}:      true,
	{StatusRunning, StatusCanceled}:      true,
	{StatusRunning, StatusDeadlettered}:  true,
	{StatusRetrying, StatusAccepted}:     true,
	{StatusRetrying, StatusDeadlettered}: true,
	{StatusRetrying, StatusCanceled}:     true,
}

func TestStatusTransitionsExhaustive(t *testing.T) {
	t.Parallel()
	all := append([]Status{StatusUnknown}, Statuses...)
	seen := 0
	for _, from := range all {
		for _, to := range all {
			want := allowed[[2]Status{from, to}]
			if got := from.CanTransition(to); got != want {
				t.Errorf("%s -> %s: CanTransition = %v, want %v", from, to, got, want)
			}
			next, err := from.Transition(to)
			if want && (err != nil || next != to) {
				t.Errorf("%s -> %s: Transition = %s, %v; want %s, nil", from, to, next, err, to)
			}
			if !want && (err == nil || next != from) {
				t.Errorf("%s -> %s: Transition = %s, %v; want %s and an error", from, to, next, err, from)
			}
			if want {
				seen++
			}
		}
	}
	if seen != len(allowed) {
		t.Errorf("walked %d allowed pairs, table lists %d", seen, len(allowed))
	}
}

func TestStatusTerminal(t *testing.T) {
	t.Parallel()
	terminal := map[Status]bool{
		StatusSucceeded: true, StatusFailed: true, StatusSuperseded: true,
		StatusDeadlettered: true, StatusCanceled: true,
	}
	for _, s := range append([]Status{StatusUnknown}, Statuses...) {
		if got := s.Terminal(); got != terminal[s] {
			t.Errorf("%s.Terminal() = %v, want %v", s, got, terminal[s])
		}
	}
	// Every non-terminal real status must reach a terminal one.
	for _, s := range Statuses {
		if !terminal[s] && !reachesTerminal(s, map[Status]bool{}) {
			t.Errorf("%s cannot reach a terminal status", s)
		}
	}
}

func reachesTerminal(s Status, seen map[Status]bool) bool {
	if s.Terminal() {
		return true
	}
	seen[s] = true
	for _, n := range transitions[s] {
		if !seen[n] && reachesTerminal(n, seen) {
			return true
		}
	}
	return false
}

func TestStatusNamesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var got Status
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if got != s {
			t.Errorf("round trip %s: got %s", s, got)
		}
	}
	if _, err := ParseStatus("done"); err == nil {
		t.Error("ParseStatus(done) succeeded, want error")
	}
	if got := Status(99).String(); got != "Status(99)" {
		t.Errorf("Status(99).String() = %q", got)
	}
}
