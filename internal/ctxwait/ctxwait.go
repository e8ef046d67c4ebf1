// Package ctxwait waits for a duration unless a context ends first.
package ctxwait

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, whichever comes first; it returns ctx.Err() in the second
// case (and at once when d <= 0 and ctx has ended), nil otherwise.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
