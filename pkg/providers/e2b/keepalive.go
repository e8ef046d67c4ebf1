package e2b

import (
	"context"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

var _ providers.TimeoutExtender = (*Provider)(nil)

// ExtendTimeout implements providers.TimeoutExtender: a running sandbox with less than half of
// its timeout (as deployed: config, handle, or its metadata) left gets it set again from now
// (POST /timeout); one with more left is not touched. A paused sandbox is left paused (zero
// end): extending must never resume it. Errors: ErrNotFound when the environment has no
// sandbox.
func (p *Provider) ExtendTimeout(ctx context.Context, s *providers.Spec) (time.Time, error) {
	a, cur, err := p.locateFor(ctx, s, "extend the timeout of")
	if err != nil {
		return time.Time{}, err
	}
	if cur.state() != stateRunning {
		return time.Time{}, nil
	}
	secs := timeoutOf(s, *cur)
	timeout := time.Duration(secs) * time.Second
	now := time.Now()
	if cur.EndAt.Sub(now) > timeout/2 {
		return cur.EndAt, nil
	}
	if err := a.setTimeout(ctx, cur.SandboxID, secs); err != nil {
		if isGone(err) {
			return time.Time{}, nil // paused or killed since it was read: nothing to keep alive
		}
		return time.Time{}, fmt.Errorf("e2b: extend the timeout of sandbox %s: %w", cur.SandboxID, err)
	}
	return now.Add(timeout), nil
}
