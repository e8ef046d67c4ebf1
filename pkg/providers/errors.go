package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
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
)

// APIError is an error response from a platform API.
type APIError struct {
	Provider   string
	Op         string
	Status     int
	Code       string
	Message    string
	RequestID  string
	RetryAfter time.Duration
	Retryable  bool
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

// IsRetryable is the one place that decides whether an operation error is transient (worth
// retrying with backoff) or permanent. Context cancellation is not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var re retryableError
	if errors.As(err, &re) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable || ae.Status == 429 || ae.Status >= 500
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return false
}
