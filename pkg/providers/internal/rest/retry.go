package rest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// failure is one failed attempt, classified once for Do's retry decision.
type failure struct {
	err error
	// transient: sending the same request again may succeed.
	transient bool
	// maybeApplied: the platform may have acted on the request although it failed.
	maybeApplied bool
	// retryAfter is the delay the platform asked for (0: none).
	retryAfter time.Duration
}

// transportFailure classifies an error from sending or reading. A request that never
// reached the server (a refused or failed dial) was not applied; anything later (a reset,
// EOF, a timeout) may have been.
func (c *Client) transportFailure(p *prepared, err error) *failure {
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error's text carries the full URL, query values included.
		err = ue.Err
	}
	transient := providers.IsRetryable(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	wrapped := fmt.Errorf("%s: %s: %s %s: %w", c.provider, p.op, p.method, p.safeURL, err)
	if transient {
		wrapped = providers.Transient(wrapped)
	}
	var op *net.OpError
	notSent := errors.As(err, &op) && op.Op == "dial"
	return &failure{err: wrapped, transient: transient, maybeApplied: !notSent}
}

// delay is the wait before retry number attempt+1: the platform's Retry-After plus jitter
// when it named one, else exponential backoff with equal jitter. ok is false when the
// platform asked for longer than the client waits out itself.
func (c *Client) delay(attempt int, retryAfter time.Duration) (d time.Duration, ok bool) {
	if retryAfter > 0 {
		if retryAfter > c.maxRetryAfter {
			return 0, false
		}
		return retryAfter + c.jitter(c.backoffBase), true
	}
	d = c.backoffBase
	for i := 0; i < attempt && d < c.backoffMax; i++ {
		d *= 2
	}
	d = min(d, c.backoffMax)
	return d/2 + c.jitter(d/2), true
}
