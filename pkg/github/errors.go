package github

import (
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v60/github"
)

// Sentinel errors; *APIError unwraps to one of them when the status says so.
var (
	// ErrNotFound: the resource does not exist, or the token may not see it.
	ErrNotFound = errors.New("github: not found")
	// ErrUnauthorized: the token is missing, invalid or lacks the permission (401/403).
	ErrUnauthorized = errors.New("github: unauthorized")
	// ErrRateLimited: rate limited for longer than the client is allowed to wait.
	ErrRateLimited = errors.New("github: rate limited")
	// ErrBadEnv: the environment name cannot be used in a comment marker.
	ErrBadEnv = errors.New("github: environment name unusable in a comment marker")
)

// APIError is a failed GitHub API call.
type APIError struct {
	Op        string // what was attempted, e.g. "edit comment 12"
	Status    int    // HTTP status, 0 when no response arrived
	RequestID string // X-GitHub-Request-Id, for support
	Retryable bool
	Err       error // underlying error (go-github's, or the transport's)
}

// Error implements error.
func (e *APIError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("github: %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("github: %s: HTTP %d (request %s): %v", e.Op, e.Status, e.RequestID, e.Err)
}

// Unwrap returns the matching sentinel (if any) and the underlying error.
func (e *APIError) Unwrap() []error {
	errs := []error{e.Err}
	switch {
	case e.Status == http.StatusNotFound:
		errs = append(errs, ErrNotFound)
	case e.Status == http.StatusTooManyRequests:
		errs = append(errs, ErrRateLimited)
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		var rl *gh.RateLimitError
		var ab *gh.AbuseRateLimitError
		if errors.As(e.Err, &rl) || errors.As(e.Err, &ab) {
			errs = append(errs, ErrRateLimited)
		} else {
			errs = append(errs, ErrUnauthorized)
		}
	}
	return errs
}

// wrap turns a go-github result into an *APIError (nil when err is nil).
func wrap(op string, resp *gh.Response, err error) error {
	if err == nil {
		return nil
	}
	e := &APIError{Op: op, Err: err}
	if resp != nil && resp.Response != nil {
		e.Status = resp.StatusCode
		e.RequestID = resp.Header.Get("X-GitHub-Request-Id")
		e.Retryable = e.Status >= 500 || e.Status == http.StatusTooManyRequests
	} else {
		e.Retryable = true
	}
	return e
}

// maybeApplied reports whether a failed create may nevertheless have happened: no response
// arrived (a lost response) or the server failed (5xx). Creates look before they retry.
func maybeApplied(err error) bool {
	var e *APIError
	return errors.As(err, &e) && (e.Status == 0 || e.Status >= 500)
}
