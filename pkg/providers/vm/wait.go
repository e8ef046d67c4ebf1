package vm

import (
	"context"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// waitFor polls instance id until it is in state want (an inst* state). An instance that
// ends up somewhere it cannot come back from on its own (terminated or terminating while
// waiting for running or stopped; stopped while waiting for running) ends the wait at once
// with an error wrapping providers.ErrWorkloadFailed and the cloud's reason, which is also
// logged to r.
func (p *Provider) waitFor(ctx context.Context, c cloudAPI, id, want string, timeout time.Duration, r providers.Reporter) (Instance, error) {
	if timeout <= 0 {
		timeout = p.cfg.BootTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last Instance
	for {
		got, err := c.Instance(ctx, id)
		switch {
		case err == nil:
			last = *got
			if last.State == want {
				return last, nil
			}
			if failed(last.State, want) {
				return last, p.workloadFailed(last, want, r)
			}
		case want == instTerminated && isNotFound(err):
			// Clouds that forget a deleted instance at once (GCE, Azure) answer NotFound.
			last.ID, last.State = id, instTerminated
			return last, nil
		case !providers.IsRetryable(err) && !isNotFound(err):
			// A new instance may be unknown to the cloud for a moment (EC2's eventual
			// consistency); anything else ends the wait.
			return last, err
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return last, fmt.Errorf("%s: instance %s is %s, waiting for %s: %w", Name, id, last.CloudState, want, err)
		}
	}
}

// failed reports whether an instance in state cannot reach want by waiting.
func failed(state, want string) bool {
	if want == instTerminated {
		return false
	}
	switch state {
	case instTerminated, instTerminating:
		return true
	case instStopped, instStopping:
		return want == instRunning
	}
	return false
}

// workloadFailed logs and returns the failure of in, which left the state it was wanted in.
func (p *Provider) workloadFailed(in Instance, want string, r providers.Reporter) error {
	reason := in.Reason
	if reason == "" {
		reason = "no reason given"
	}
	line := fmt.Sprintf("instance %s: %s while waiting for %s: %s", in.ID, in.CloudState, want, reason)
	if r != nil {
		r.Log(line)
	}
	return fmt.Errorf("%s: %s: %w", Name, line, providers.ErrWorkloadFailed)
}
