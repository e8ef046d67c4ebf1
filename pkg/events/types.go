package events

import (
	"time"

	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Type is a versioned event type id (CloudEvents "type").
type Type string

// Event types, version 1. A change to a payload that is not purely additive gets a new ".v2"
// type; consumers refuse types they do not know.
const (
	TypeAccepted     Type = "dev.sindri.job.accepted.v1"
	TypeStarted      Type = "dev.sindri.job.started.v1"
	TypeLog          Type = "dev.sindri.job.log.v1"
	TypeProgress     Type = "dev.sindri.job.progress.v1"
	TypeSucceeded    Type = "dev.sindri.job.succeeded.v1"
	TypeFailed       Type = "dev.sindri.job.failed.v1"
	TypeSuperseded   Type = "dev.sindri.job.superseded.v1"
	TypeRetrying     Type = "dev.sindri.job.retrying.v1"
	TypeDeadlettered Type = "dev.sindri.job.deadlettered.v1"
)

// Types lists every known event type.
var Types = []Type{
	TypeAccepted, TypeStarted, TypeLog, TypeProgress, TypeSucceeded,
	TypeFailed, TypeSuperseded, TypeRetrying, TypeDeadlettered,
}

// String returns the type id.
func (t Type) String() string { return string(t) }

// Known reports whether t is one of Types.
func (t Type) Known() bool {
	_, ok := newData[t]
	return ok
}

// Terminal reports whether an event of type t ends the job's event stream: succeeded, failed,
// superseded or deadlettered. Follow stops after such an event.
func (t Type) Terminal() bool {
	switch t {
	case TypeSucceeded, TypeFailed, TypeSuperseded, TypeDeadlettered:
		return true
	}
	return false
}

// Status returns the job status an event of type t moves the job to, and false for types that
// do not change it (log, progress).
func (t Type) Status() (jobs.Status, bool) {
	switch t {
	case TypeAccepted:
		return jobs.StatusAccepted, true
	case TypeStarted:
		return jobs.StatusRunning, true
	case TypeSucceeded:
		return jobs.StatusSucceeded, true
	case TypeFailed:
		return jobs.StatusFailed, true
	case TypeSuperseded:
		return jobs.StatusSuperseded, true
	case TypeRetrying:
		return jobs.StatusRetrying, true
	case TypeDeadlettered:
		return jobs.StatusDeadlettered, true
	}
	return jobs.StatusUnknown, false
}

// Data is the typed payload of an event. Only the types of this package implement it.
type Data interface {
	// EventType is the type id this payload travels under.
	EventType() Type
	sealed()
}

// newData maps each type to a constructor of its payload; it is the one place that pairs type
// ids with structs.
var newData = map[Type]func() Data{
	TypeAccepted:     func() Data { return &Accepted{} },
	TypeStarted:      func() Data { return &Started{} },
	TypeLog:          func() Data { return &Log{} },
	TypeProgress:     func() Data { return &Progress{} },
	TypeSucceeded:    func() Data { return &Succeeded{} },
	TypeFailed:       func() Data { return &Failed{} },
	TypeSuperseded:   func() Data { return &Superseded{} },
	TypeRetrying:     func() Data { return &Retrying{} },
	TypeDeadlettered: func() Data { return &Deadlettered{} },
}

// Accepted: a worker took the job off the queue (delivery Attempt, 1-based).
type Accepted struct {
	Worker     string    `json:"worker"`
	Attempt    int       `json:"attempt"`
	Kind       jobs.Kind `json:"kind"`
	Env        string    `json:"env"`
	Provider   string    `json:"provider"`
	Generation uint64    `json:"generation"`
	// Repo, PR, Trigger and RequestedBy repeat the job's fields (added within v1) so that
	// readers of the events, such as the operator view, can tell whose job it was and who asked
	// for it after the work-queue stream has dropped it.
	Repo        string `json:"repo,omitempty"`
	PR          int    `json:"pr,omitempty"`
	Trigger     string `json:"trigger,omitempty"`
	RequestedBy string `json:"requested_by,omitempty"`
}

// Started: the worker holds the environment's lease and calls the provider.
type Started struct {
	Worker       string    `json:"worker"`
	Attempt      int       `json:"attempt"`
	LeaseExpires time.Time `json:"lease_expires,omitzero"`
}

// LogLevel is the severity of a Log line.
type LogLevel string

// Log levels.
const (
	LevelDebug LogLevel = "debug"
	LevelInfo  LogLevel = "info"
	LevelWarn  LogLevel = "warn"
	LevelError LogLevel = "error"
)

// Log is one human-readable line from the worker or the provider. It never contains secret
// values (the executor redacts before publishing).
type Log struct {
	Level   LogLevel `json:"level"`
	Message string   `json:"message"`
	// Step names the provider step the line belongs to, when known.
	Step string `json:"step,omitempty"`
}

// Progress is a named step with done/total counts (Total 0 = unknown), as the provider
// Reporter gives them.
type Progress struct {
	Step    string `json:"step"`
	Done    int    `json:"done"`
	Total   int    `json:"total"`
	Message string `json:"message,omitempty"`
}

// Succeeded ends a job that did what it asked. Exactly one of Deployment (deploy, start),
// Status (status, stop) or Plan (plan) is set for kinds that produce one; destroy and reap set
// none. URL and Connect are the rendered entry points the action shows.
type Succeeded struct {
	Kind       jobs.Kind             `json:"kind"`
	Env        string                `json:"env"`
	Provider   string                `json:"provider"`
	Generation uint64                `json:"generation"`
	Deployment *providers.Deployment `json:"deployment,omitempty"`
	Status     *providers.Status     `json:"status,omitempty"`
	Plan       *providers.Plan       `json:"plan,omitempty"`
	// Image is the image an image-build job built; Images what an image-list job found.
	Image      *providers.Image  `json:"image,omitempty"`
	Images     []providers.Image `json:"images,omitempty"`
	URL        string            `json:"url,omitempty"`
	Connect    string            `json:"connect,omitempty"`
	DurationMS int64             `json:"duration_ms"`
	// Cost is the job's estimate and the environment's running and stopped time so far
	// (docs/cost.md); absent when nothing was priced or recorded.
	Cost *cost.Report `json:"cost,omitempty"`
}

// FailCode classifies a failure for machines; Message is for people.
type FailCode string

// Failure codes.
const (
	FailUnknownVersion FailCode = "unknown_version" // job "v" not supported; refused unread
	FailMalformed      FailCode = "malformed"       // job bytes are not a job
	FailInvalidJob     FailCode = "invalid_job"     // job fields break the contract
	FailInvalidConfig  FailCode = "invalid_config"  // sindri.yaml does not validate
	FailUnauthorized   FailCode = "unauthorized"    // repo not allowed, signature missing or bad
	FailProvider       FailCode = "provider"        // the provider or its platform failed
	FailUnsupported    FailCode = "unsupported"     // the provider does not support the job's kind
	FailDeadline       FailCode = "deadline"        // the job's deadline passed
	FailInternal       FailCode = "internal"        // anything else
	FailPolicy         FailCode = "policy"          // over the executor's spending policy (docs/cost.md)
)

// Failed ends a job that failed; it is always terminal. Retryable says whether the cause was
// transient, so that running the workflow again may succeed (a transient error with deliveries
// left is reported as Retrying instead, and one on the last delivery as Deadlettered).
type Failed struct {
	Code      FailCode `json:"code"`
	Message   string   `json:"message"`
	Retryable bool     `json:"retryable"`
	Attempt   int      `json:"attempt"`
	// LastLines are the last log lines before the failure, for the job summary.
	LastLines []string `json:"last_lines,omitempty"`
}

// Superseded ends a job made moot: its Generation is below the environment's
// DesiredGeneration, or the environment is closed and the job would recreate it.
type Superseded struct {
	Generation        uint64 `json:"generation"`
	DesiredGeneration uint64 `json:"desired_generation"`
	Closed            bool   `json:"closed"`
	Reason            string `json:"reason"`
}

// RetryReason says why a job is handed back.
type RetryReason string

// Retry reasons.
const (
	RetryTransient RetryReason = "transient"  // 429, 5xx, timeout, "busy"
	RetryLeaseHeld RetryReason = "lease_held" // another job holds the environment
	RetryShutdown  RetryReason = "shutdown"   // the worker is stopping
)

// Retrying: the job is handed back and will be redelivered after Delay.
type Retrying struct {
	Reason      RetryReason   `json:"reason"`
	Message     string        `json:"message"`
	Attempt     int           `json:"attempt"`
	MaxAttempts int           `json:"max_attempts"`
	Delay       jobs.Duration `json:"delay"`
}

// Deadlettered ends a job whose last delivery failed.
type Deadlettered struct {
	Attempts int    `json:"attempts"`
	Message  string `json:"message"`
}

// EventType implements Data.
func (*Accepted) EventType() Type { return TypeAccepted }

// EventType implements Data.
func (*Started) EventType() Type { return TypeStarted }

// EventType implements Data.
func (*Log) EventType() Type { return TypeLog }

// EventType implements Data.
func (*Progress) EventType() Type { return TypeProgress }

// EventType implements Data.
func (*Succeeded) EventType() Type { return TypeSucceeded }

// EventType implements Data.
func (*Failed) EventType() Type { return TypeFailed }

// EventType implements Data.
func (*Superseded) EventType() Type { return TypeSuperseded }

// EventType implements Data.
func (*Retrying) EventType() Type { return TypeRetrying }

// EventType implements Data.
func (*Deadlettered) EventType() Type { return TypeDeadlettered }

func (*Accepted) sealed()     {}
func (*Started) sealed()      {}
func (*Log) sealed()          {}
func (*Progress) sealed()     {}
func (*Succeeded) sealed()    {}
func (*Failed) sealed()       {}
func (*Superseded) sealed()   {}
func (*Retrying) sealed()     {}
func (*Deadlettered) sealed() {}
