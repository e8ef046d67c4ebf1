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
// What each verb may rely on:
//   - Plan and Deploy get the validated Config (never nil), the resolved Image (empty only
//     when the config names none and the provider builds its own, as e2b and devpod may) and
//     the Secrets to deliver.
//   - Status, Stop, Start and Destroy get Env, Labels and Handle (the last recorded handle, a
//     hint, filled when Capabilities.UsesHandle); Config only when the job carried it. The executor's reaper sends none, and the
//     config may have changed since the deploy: teardown must find what was made from the
//     handle and the platform's labels, never from today's config.
//   - Deploy, Stop and Start return once Status would report the new state.
//
// Implementations must be safe for concurrent use on different environments. The executor
// guarantees one mutating operation per environment at a time; Status and Plan take no lease
// and may run while a Deploy of the same environment is in progress. The executor calls
// Stop and Start only when Capabilities().StopStart is set.
type Provider interface {
	// Name returns the registry name ("docker", "fly", ...).
	Name() string
	// Capabilities describes optional features.
	Capabilities() Capabilities
	// Plan describes what Deploy would do. It has no side effects, ever.
	Plan(ctx context.Context, s *Spec) (*Plan, error)
	// Deploy finds or creates the environment and returns once it is running. Deploying the
	// same Spec twice leaves one environment and changes nothing the second time. A failure
	// that leaves resources behind returns a *PartialError naming them.
	Deploy(ctx context.Context, s *Spec, r Reporter) (*Deployment, error)
	// Status reports the environment's state; an environment that does not exist is
	// StateNotDeployed with a nil error. A stopped environment is never StateNotDeployed.
	Status(ctx context.Context, s *Spec) (*Status, error)
	// Stop stops a running environment, keeping its data. Stopping a stopped one is success.
	// Returns ErrNotFound when absent.
	Stop(ctx context.Context, s *Spec) error
	// Start starts a stopped environment. Starting a running one is success. Returns
	// ErrNotFound when absent.
	Start(ctx context.Context, s *Spec) error
	// Destroy removes everything the provider created for the environment. It is idempotent:
	// an environment that is already gone is success.
	Destroy(ctx context.Context, s *Spec) error
}

// Capabilities lists optional provider features. The executor consults it before calling a
// provider: a verb the provider does not support fails with its own code, and the provider is
// not called.
type Capabilities struct {
	GPU          bool          `json:"gpu"`
	AutoSuspend  bool          `json:"auto_suspend"`
	StopStart    bool          `json:"stop_start"`
	ConnectKinds []ConnectKind `json:"connect_kinds,omitempty"`
	// StopMode says what Stop does on this platform: "stop", "suspend", "pause" or "scale0".
	StopMode string `json:"stop_mode,omitempty"`
	// UsesHandle: the provider locates what it made through Spec.Handle, so the executor reads
	// the environment's record to fill it. Providers whose names and labels are enough
	// (docker) leave it false and spare every job that read.
	UsesHandle bool `json:"uses_handle,omitempty"`
	// Credentials are the secret and environment variable names the provider consumes
	// (FLY_API_TOKEN, E2B_API_KEY, ...). A job secret of such a name is withheld from the
	// environment (see Spec.Credentials) unless the config marks it deliver: true.
	Credentials []string `json:"credentials,omitempty"`
}

// NoStopStart is embedded by providers that cannot stop and start an environment: Stop and
// Start return ErrUnsupported. Such a provider leaves Capabilities.StopStart false.
type NoStopStart struct{}

// Stop implements Provider.
func (NoStopStart) Stop(context.Context, *Spec) error { return ErrUnsupported }

// Start implements Provider.
func (NoStopStart) Start(context.Context, *Spec) error { return ErrUnsupported }

// Checker is implemented by providers that can tell whether they are ready to serve: their
// binary is present at a supported version, their credentials are set. The executor logs the
// result at start and shows it on /readyz; a provider that is not ready is still registered,
// and its operations fail with the reason.
type Checker interface {
	Check(ctx context.Context) Readiness
}

// Readiness is a Checker's answer.
type Readiness struct {
	Ready bool `json:"ready"`
	// Version is the platform tool's or API's version, when known.
	Version string `json:"version,omitempty"`
	// Problems name what is missing (a variable's name, a binary), never a value.
	Problems []string `json:"problems,omitempty"`
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
