// Package providers defines the contract every deployment provider implements, the types that
// cross it, and a registry that maps provider names to implementations.
//
// A provider must find its resources again from deterministic names and labels alone: the bus
// and the env record are caches, never the only truth (see shared/DESIGN.md).
package providers

import (
	"context"
)

// Provider deploys and manages one environment on one platform.
//
// Every method takes the fully validated Spec. Implementations must be safe for concurrent use
// on different environments; the executor guarantees one operation per environment at a time.
type Provider interface {
	// Name returns the registry name ("docker", "fly", ...).
	Name() string
	// Capabilities describes optional features.
	Capabilities() Capabilities
	// Plan describes what Deploy would do. It has no side effects, ever.
	Plan(ctx context.Context, s *Spec) (*Plan, error)
	// Deploy finds or creates the environment and returns once it is running. Deploying the
	// same Spec twice leaves one environment and changes nothing the second time.
	Deploy(ctx context.Context, s *Spec, r Reporter) (*Deployment, error)
	// Status reports the environment's state; an environment that does not exist is
	// StateNotDeployed with a nil error.
	Status(ctx context.Context, s *Spec) (*Status, error)
	// Stop stops a running environment, keeping its data. Returns ErrNotFound when absent.
	Stop(ctx context.Context, s *Spec) error
	// Start starts a stopped environment. Returns ErrNotFound when absent.
	Start(ctx context.Context, s *Spec) error
	// Destroy removes everything the provider created for the environment. It is idempotent:
	// an environment that is already gone is success.
	Destroy(ctx context.Context, s *Spec) error
}

// Capabilities lists optional provider features.
type Capabilities struct {
	GPU          bool          `json:"gpu"`
	AutoSuspend  bool          `json:"auto_suspend"`
	StopStart    bool          `json:"stop_start"`
	ConnectKinds []ConnectKind `json:"connect_kinds,omitempty"`
}

// ConnectKind is a way of reaching an environment.
type ConnectKind string

// Connect kinds.
const (
	ConnectExec ConnectKind = "exec"
	ConnectSSH  ConnectKind = "ssh"
	ConnectHTTP ConnectKind = "http"
)

// Reporter receives progress from a running provider operation. Implementations must be safe
// for concurrent use and must not block for long.
type Reporter interface {
	// Log records one human-readable line. Secret values must never be passed here.
	Log(line string)
	// Progress records a step: name of the step, and done/total when known (total 0 = unknown).
	Progress(step string, done, total int)
}

// NopReporter discards everything.
type NopReporter struct{}

// Log implements Reporter.
func (NopReporter) Log(string) {}

// Progress implements Reporter.
func (NopReporter) Progress(string, int, int) {}
