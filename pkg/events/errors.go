package events

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors of this package. Test with errors.Is.
var (
	// ErrBadSubject: a provider name or job id cannot be a NATS subject token.
	ErrBadSubject = errors.New("bad subject token")
	// ErrUnknownEventType: an envelope's type is not one this code knows (or not "v1").
	ErrUnknownEventType = errors.New("unknown event type")
	// ErrMalformedEvent: an envelope is not valid JSON, lacks a required attribute, or its
	// data does not match its type.
	ErrMalformedEvent = errors.New("malformed event")
	// ErrEnvNotFound: the environment has no record in sindri_envs.
	ErrEnvNotFound = errors.New("environment record not found")
	// ErrBadEnvRecord: the value stored for an environment in sindri_envs does not decode as
	// an EnvRecord (written by something else, or corrupted); no retry changes that.
	ErrBadEnvRecord = errors.New("environment record does not decode")
	// ErrRevisionMismatch: a compare-and-set write lost against a concurrent writer.
	ErrRevisionMismatch = errors.New("revision mismatch")
	// ErrEnvClosed: the environment was closed (its PR closed or it was destroyed with
	// closing=true); deploys are refused until Reopen.
	ErrEnvClosed = errors.New("environment is closed")
	// ErrLeaseHeld: another holder has a live lease on the environment. The concrete error is
	// a *LeaseHeldError naming the holder and expiry.
	ErrLeaseHeld = errors.New("environment lease held")
	// ErrLeaseLost: the caller's lease expired and was taken over, or was released, before a
	// Renew or Release.
	ErrLeaseLost = errors.New("environment lease lost")
	// ErrInvalidLease: a lease request that can never succeed: an invalid environment name,
	// an empty holder, or a ttl that is not positive or exceeds the sindri_locks bucket TTL.
	ErrInvalidLease = errors.New("invalid lease request")
	// ErrConnect: a connection to NATS could not be configured or established.
	ErrConnect = errors.New("nats connect")
	// ErrTooManyConflicts: a compare-and-set loop gave up after repeated conflicts.
	ErrTooManyConflicts = errors.New("too many concurrent updates")
	// ErrSeqTaken: another publisher already stored an event under the number an Emitter was
	// about to use: another delivery of the same job is speaking for it. The concrete error
	// is a *SeqTakenError.
	ErrSeqTaken = errors.New("event sequence number taken by another publisher")
)

// SeqTakenError says which event number of which job another publisher took.
// errors.Is(err, ErrSeqTaken) is true.
type SeqTakenError struct {
	JobID string
	Seq   uint64
}

// Error implements error.
func (e *SeqTakenError) Error() string {
	return fmt.Sprintf("events: event %d of job %s was already stored by another publisher", e.Seq, e.JobID)
}

// Is makes errors.Is(err, ErrSeqTaken) true.
func (e *SeqTakenError) Is(target error) bool { return target == ErrSeqTaken }

// LeaseHeldError says who holds an environment's lease. errors.Is(err, ErrLeaseHeld) is true.
type LeaseHeldError struct {
	Env     string
	Holder  string
	Expires time.Time
}

// Error implements error.
func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("environment %s is leased by %s until %s", e.Env, e.Holder, e.Expires.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }
