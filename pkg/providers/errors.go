package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// Sentinel errors for branching. Wrap them with %w and context.
var (
	// ErrNotFound: the environment (or a resource it needs) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a resource exists that the provider did not create, or a name is taken.
	ErrConflict = errors.New("conflict")
	// ErrInvalidSpec: the spec cannot be deployed by this provider (permanent).
	ErrInvalidSpec = errors.New("invalid spec")
	// ErrUnsupported: the operation is not supported by this provider (permanent).
	ErrUnsupported = errors.New("unsupported")
	// ErrUnavailable: the platform cannot be reached or is busy (transient).
	ErrUnavailable = errors.New("unavailable")
	// ErrUnknownProvider: no provider is registered under the name.
	ErrUnknownProvider = errors.New("unknown provider")
	// ErrAuth: the platform refused the credentials (HTTP 401/403), or a credential the
	// provider needs is not set. Permanent: retrying with the same credentials cannot help.
	ErrAuth = errors.New("credentials refused or missing")
	// ErrQuota: an account limit was reached (concurrency, machine count, org quota).
	// Permanent for this job: the limit must be raised or other environments removed.
	ErrQuota = errors.New("quota exceeded")
	// ErrCapacity: the platform has no capacity for this exact spec (no free GPUs of the
	// type, no instances in the region). Permanent for the same spec: choose another
	// type or region.
	ErrCapacity = errors.New("no capacity")
	// ErrWorkloadFailed: the deployed workload exits, restarts or fails its health check as it
	// starts. Permanent: the same spec fails the same way. The provider reports the workload's
	// last log lines with Reporter.Log before returning it (docs/providers/README.md#errors).
	ErrWorkloadFailed = errors.New("workload failed to start")
)

// Hint returns the one-line advice that goes with err's sentinel (ErrQuota, ErrCapacity,
// ErrAuth, ErrWorkloadFailed, ErrConflict: a decoder's specific cause before what the status
// implies), or "" when there is none.
func Hint(err error) string {
	switch {
	case errors.Is(err, ErrQuota):
		return "an account limit was reached: raise it with the platform, or destroy environments you no longer need"
	case errors.Is(err, ErrCapacity):
		return "the platform has no capacity for this spec now: choose another GPU type, size or region"
	case errors.Is(err, ErrAuth):
		return "check the provider's credential in the executor's environment or provider block (docs/providers/README.md#credentials)"
	case errors.Is(err, ErrWorkloadFailed):
		return "the environment's process stopped as it started: its last log lines are in the job's log; fix the image's entrypoint, command or configuration"
	case errors.Is(err, ErrConflict):
		return "a resource with this name exists and is not ours: rename the environment or remove the foreign resource"
	}
	return ""
}

// APIError is an error response from a platform API. It unwraps to Err (when set) and matches,
// with errors.Is, the sentinel its status implies: 404 ErrNotFound, 409 ErrConflict, 401 and
// 403 ErrAuth, 408/429/5xx ErrUnavailable. Code-specific meanings (quota, capacity) are set by
// the provider's decoder in Err.
type APIError struct {
	Provider string
	Op       string
	// Method and URL are the request's (the URL without its query's secret values).
	Method string
	URL    string
	Status int
	Code   string
	// Message is the platform's message, secret-redacted and bounded by the client.
	Message    string
	RequestID  string
	RetryAfter time.Duration
	Retryable  bool
	// Err is a more specific cause (ErrQuota, ErrCapacity, a transport error), if any.
	Err error
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("%s: %s: HTTP %d", e.Provider, e.Op, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Unwrap returns the specific cause, if any.
func (e *APIError) Unwrap() error { return e.Err }

// Is maps the HTTP status onto the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404
	case ErrConflict:
		return e.Status == 409
	case ErrAuth:
		return e.Status == 401 || e.Status == 403
	case ErrUnavailable:
		return retryableStatus(e.Status)
	}
	return false
}

// retryableStatus: request timeout, too many requests and server-side failures other than
// "not implemented" and "version not supported", which no retry changes.
func retryableStatus(code int) bool {
	return code == 408 || code == 429 || (code >= 500 && code != 501 && code != 505)
}

// retryableError marks an arbitrary error as transient.
type retryableError struct{ err error }

func (e retryableError) Error() string { return e.err.Error() }
func (e retryableError) Unwrap() error { return e.err }

// Transient wraps err so that IsRetryable reports true.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return retryableError{err}
}

// permanentError marks an error as never worth retrying, whatever it wraps.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that IsRetryable reports false even when err wraps a transient
// cause (a 5xx, a deadline): for an operation that must not be sent again once it may have
// reached the platform (a command run inside an environment). errors.Is and errors.As still
// see err's causes.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// retryAfterError carries the delay a platform asked for.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e retryAfterError) Error() string { return e.err.Error() }
func (e retryAfterError) Unwrap() error { return e.err }

// TransientAfter wraps err as transient, to be retried no sooner than after.
func TransientAfter(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return retryableError{retryAfterError{err, after}}
}

// RetryAfterOf returns the delay the platform asked for before a retry (an APIError's
// RetryAfter, or TransientAfter's), or 0 when it named none.
func RetryAfterOf(err error) time.Duration {
	var ra retryAfterError
	if errors.As(err, &ra) {
		return ra.after
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// IsRetryable is the one place that decides whether an operation error is transient (worth
// retrying with backoff) or permanent. Context cancellation, credential, quota and capacity
// errors are permanent.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pe permanentError
	if errors.As(err, &pe) {
		return false
	}
	var re retryableError
	if errors.As(err, &re) {
		return true
	}
	var ae *APIError
	isAPI := errors.As(err, &ae)
	if isAPI && ae.Retryable {
		return true
	}
	if errors.Is(err, ErrAuth) || errors.Is(err, ErrQuota) || errors.Is(err, ErrCapacity) {
		return false
	}
	if isAPI {
		return retryableStatus(ae.Status)
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return false
}

// MissingCredential returns the ErrAuth a provider reports when a credential it needs is not
// set: it names the variable (or executor setting) to set, never a value.
func MissingCredential(provider, variable string) error {
	return fmt.Errorf("%s: credential %s is not set on the executor (set it in the executor's environment or its provider %q block): %w", provider, variable, provider, ErrAuth)
}

// PartialError is a failed operation that left resources behind: the executor records the
// environment as StateError with Handle, so that close-destroy and the reaper find them.
type PartialError struct {
	Err error
	// Remaining names what is left (kind/name), for the failure message.
	Remaining []string
	// Handle locates what is left, in Deployment.Handle's form.
	Handle string
}

// Error implements error.
func (e *PartialError) Error() string {
	if len(e.Remaining) == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v (left for cleanup: %v)", e.Err, e.Remaining)
}

// Unwrap returns the cause.
func (e *PartialError) Unwrap() error { return e.Err }
