package e2b

import (
	"context"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// waitRunning polls sandbox id until it runs. A new sandbox (fresh) must still be there
// StableFor after it was first seen running: one that vanishes as it starts is reported at
// once as ErrWorkloadFailed, never by waiting out the timeout. The REST API keeps no logs of
// a sandbox (its processes' output is read through envd), so the report names the template.
func (p *Provider) waitRunning(ctx context.Context, a *api, id string, fresh bool, r providers.Reporter) (sandbox, error) {
	var since time.Time
	var last sandbox
	for {
		sb, err := a.getSandbox(ctx, id)
		switch {
		case isGone(err):
			return last, p.vanished(id, last, since, r)
		case err != nil && !providers.IsRetryable(err):
			return last, fmt.Errorf("e2b: wait for sandbox %s: %w", id, err)
		case err == nil:
			last = sb
			if sb.state() == stateRunning {
				if since.IsZero() {
					since = time.Now()
				}
				if !fresh || time.Since(since) >= p.cfg.StableFor {
					return sb, nil
				}
			}
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return last, fmt.Errorf("e2b: sandbox %s not running (state %s): %w", id, orUnknown(last.State), err)
		}
	}
}

// vanished reports a sandbox that was gone while it should have started.
func (p *Provider) vanished(id string, last sandbox, since time.Time, r providers.Reporter) error {
	after := "before it was seen running"
	if !since.IsZero() {
		after = fmt.Sprintf("%s after it was seen running", time.Since(since).Round(time.Millisecond))
	}
	line := fmt.Sprintf("sandbox %s of template %s was killed or crashed %s", id, orUnknown(last.TemplateID), after)
	r.Log("e2b: " + line)
	return fmt.Errorf("e2b: %s; E2B keeps no log of a sandbox that is gone: run the template's start command in a sandbox (e2b sandbox connect) to see it fail: %w", line, providers.ErrWorkloadFailed)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
