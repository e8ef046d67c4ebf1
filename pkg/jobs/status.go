package jobs

import (
	"encoding/json"
	"fmt"
)

// Status is where a job is in its life. Its JSON form is the lowercase name.
type Status int

// Statuses. The zero value is StatusUnknown, which is never a valid state of a real job.
const (
	StatusUnknown      Status = iota
	StatusQueued              // published on SINDRI_JOBS, not yet picked up
	StatusAccepted            // a worker took it (accepted event)
	StatusRunning             // the worker holds the lease and runs the provider (started event)
	StatusSucceeded           // terminal: done
	StatusFailed              // terminal: permanent error, or refused (unknown version, invalid)
	StatusSuperseded          // terminal: a newer generation (or a close) made it moot
	StatusRetrying            // transient error or env leased: handed back for redelivery
	StatusDeadlettered        // terminal: retries exhausted
	StatusCanceled            // terminal: deadline passed or the requester canceled it
)

// Statuses lists every real status (not StatusUnknown) in declaration order.
var Statuses = []Status{
	StatusQueued, StatusAccepted, StatusRunning, StatusSucceeded, StatusFailed,
	StatusSuperseded, StatusRetrying, StatusDeadlettered, StatusCanceled,
}

var statusNames = [...]string{
	StatusUnknown:      "unknown",
	StatusQueued:       "queued",
	StatusAccepted:     "accepted",
	StatusRunning:      "running",
	StatusSucceeded:    "succeeded",
	StatusFailed:       "failed",
	StatusSuperseded:   "superseded",
	StatusRetrying:     "retrying",
	StatusDeadlettered: "deadlettered",
	StatusCanceled:     "canceled",
}

// String returns the lowercase name used on the wire.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return fmt.Sprintf("Status(%d)", int(s))
	}
	return statusNames[s]
}

// ParseStatus returns the Status named v, or an error naming the valid statuses.
func ParseStatus(v string) (Status, error) {
	for _, s := range Statuses {
		if statusNames[s] == v {
			return s, nil
		}
	}
	return StatusUnknown, fmt.Errorf("unknown job status %q; valid: queued, accepted, running, succeeded, failed, superseded, retrying, deadlettered, canceled", v)
}

// MarshalJSON encodes the lowercase name.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON decodes the lowercase name; it returns ParseStatus's error for unknown names.
func (s *Status) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	st, err := ParseStatus(v)
	if err != nil {
		return err
	}
	*s = st
	return nil
}

// transitions is the one table of allowed status changes. A status absent as a key is
// terminal. Self-transitions are refused: each status is entered once per attempt.
var transitions = map[Status][]Status{
	// Queued: a worker accepts it; or it is refused before acceptance (unknown version,
	// malformed) -> failed; superseded before any work; canceled (deadline).
	StatusQueued: {StatusAccepted, StatusFailed, StatusSuperseded, StatusCanceled},
	// Accepted: lease taken -> running; lease held -> retrying (requeued with delay);
	// generation check -> superseded; invalid config -> failed; deadline -> canceled;
	// last delivery already used -> deadlettered.
	StatusAccepted: {StatusRunning, StatusRetrying, StatusSuperseded, StatusFailed, StatusCanceled, StatusDeadlettered},
	// Running: the provider finished, failed permanently or transiently, or was canceled.
	StatusRunning: {StatusSucceeded, StatusFailed, StatusRetrying, StatusCanceled, StatusDeadlettered},
	// Retrying: redelivered and accepted again, retries exhausted, or canceled. A newer
	// generation that arrives meanwhile supersedes the job only after re-acceptance.
	StatusRetrying: {StatusAccepted, StatusDeadlettered, StatusCanceled},
}

// CanTransition reports whether a job may go from status s to next.
func (s Status) CanTransition(next Status) bool {
	for _, t := range transitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// Transition returns next when s may go to next, or an error naming both otherwise.
func (s Status) Transition(next Status) (Status, error) {
	if !s.CanTransition(next) {
		return s, fmt.Errorf("job status %s cannot change to %s", s, next)
	}
	return next, nil
}

// Terminal reports whether no transition leaves s (succeeded, failed, superseded,
// deadlettered, canceled).
func (s Status) Terminal() bool { return s != StatusUnknown && len(transitions[s]) == 0 }
