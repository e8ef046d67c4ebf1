package e2b

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// platformMessages are the one place error text is read. E2B answers its concurrency limit
// and its rate limit both with 429 and tells them apart only in prose (the rate limit also
// sends Retry-After), and a timeout above the plan's maximum is a plain 400 (shared/spec
// provider-apis/e2b-devpod.md §1.4). Matched in lower case.
var platformMessages = []struct {
	status int
	text   string
	cause  error
}{
	{http.StatusTooManyRequests, "maximum number of concurrent e2b sandboxes", providers.ErrQuota},
	{http.StatusBadRequest, "timeout cannot be greater than", providers.ErrInvalidSpec},
}

// decodeError reads E2B's {"code": <int>, "message", "error_code"?} (rest.DecodeError knows
// it) and adds the cause the message implies.
func decodeError(status int, h http.Header, body []byte) (code, message string, cause error) {
	code, message, _ = rest.DecodeError(status, h, body)
	lower := strings.ToLower(message)
	for _, m := range platformMessages {
		if status == m.status && strings.Contains(lower, m.text) {
			return code, message, m.cause
		}
	}
	return code, message, nil
}

func status(err error) int {
	var ae *providers.APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// isGone: a sandbox or template that is not there (404; a sandbox being killed is 404 too).
func isGone(err error) bool { return errors.Is(err, providers.ErrNotFound) }

// isConflict: the call does not fit the sandbox's state now (409: pause of a paused one).
func isConflict(err error) bool { return status(err) == http.StatusConflict }

// explain adds the fix to an error of a create, connect or build for desired d. The
// sentinel stays matchable; the executor appends providers.Hint itself.
func explain(err error, d *desired) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, providers.ErrAuth) && status(err) == http.StatusForbidden:
		return fmt.Errorf("%w; fix: the E2B_API_KEY's team may not use this template or is blocked: check the team in the E2B dashboard", err)
	case errors.Is(err, providers.ErrAuth):
		return fmt.Errorf("%w; fix: set a valid E2B_API_KEY (it starts with e2b_; https://e2b.dev/dashboard?tab=keys) in the executor's environment or its provider \"e2b\" block", err)
	case errors.Is(err, providers.ErrQuota):
		return fmt.Errorf("%w; fix: pause or destroy other sandboxes (paused ones do not count) or raise the team's concurrency limit (https://e2b.dev/docs/billing)", err)
	case errors.Is(err, providers.ErrInvalidSpec) && d != nil:
		return fmt.Errorf("%w; fix: lower providers.e2b.timeout (%d s) to the plan's longest run: 3600 on Hobby, 86400 on Pro", err, d.timeout)
	case isGone(err) && d != nil:
		return fmt.Errorf("%w; fix: template %q does not exist for this team: set deployment.image to have one built, or providers.e2b.templateAlias to a template the team has", err, d.tpl.ref())
	}
	return err
}

// execUnansweredError is Exec's failure once its request may have reached envd: an answer of
// the sandbox proxy or envd other than a refused token (a 502, a 5xx, an error at the end of
// the stream such as unavailable), a connection lost or a stream broken, the caller's
// context ending. The command may have run, or may be running, so it is never sent again:
// providers.IsRetryable reports false (runEnvd wraps it in providers.Permanent), and it does
// not unwrap to the cause, whose status or transport error alone would read as retryable.
// It unwraps to the context's error when the context ended, so that errors.Is(err,
// context.DeadlineExceeded) holds.
type execUnansweredError struct {
	cause  string // redacted
	ctxErr error
}

// unanswered makes err, a failure after sending, an execUnansweredError.
func unanswered(ctx context.Context, err error, redact *rest.Redactor) error {
	return providers.Permanent(&execUnansweredError{cause: redact.String(err.Error()), ctxErr: ctx.Err()})
}

func (e *execUnansweredError) Error() string {
	return e.cause + "; the command may have run, so it was not sent again: look inside the sandbox before running it again"
}

// Unwrap returns the context's error, if it ended.
func (e *execUnansweredError) Unwrap() error { return e.ctxErr }
