package vm

import (
	"context"

	"fmt"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
)

// waitFor polls instance id until it is in state want. An instance that ends up somewhere
// it cannot come back from on its own (terminated or shutting down while waiting for running
// or stopped; stopped while waiting for running) ends the wait at once with an error
// wrapping providers.ErrWorkloadFailed and EC2's state reason, which is also logged to r.
func (p *Provider) waitFor(ctx context.Context, c *ec2.Client, id, want string, timeout time.Duration, r providers.Reporter) (ec2.Instance, error) {
	if timeout <= 0 {
		timeout = p.cfg.BootTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last ec2.Instance
	for {
		got, err := c.DescribeInstances(ctx, []string{id})
		switch {
		case err == nil && len(got) == 1:
			last = got[0]
			if last.State.Name == want {
				return last, nil
			}
			if failed(last.State.Name, want) {
				return last, p.workloadFailed(last, want, r)
			}
		case err != nil && !providers.IsRetryable(err) && !isNotFound(err):
			// A new instance may be unknown to DescribeInstances for a moment (EC2's
			// eventual consistency); anything else ends the wait.
			return last, err
		}
		if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
			return last, fmt.Errorf("%s: instance %s is %s, waiting for %s: %w", Name, id, last.State.Name, want, err)
		}
	}
}

// failed reports whether an instance in state cannot reach want by waiting.
func failed(state, want string) bool {
	if want == ec2.StateTerminated {
		return false
	}
	switch state {
	case ec2.StateTerminated, ec2.StateShuttingDown:
		return true
	case ec2.StateStopped, ec2.StateStopping:
		return want == ec2.StateRunning
	}
	return false
}

// workloadFailed logs and returns the failure of in, which left the state it was wanted in.
func (p *Provider) workloadFailed(in ec2.Instance, want string, r providers.Reporter) error {
	reason := in.Reason
	if in.StateReason != nil {
		reason = in.StateReason.Message
		if reason == "" {
			reason = in.StateReason.Code
		}
	}
	if reason == "" {
		reason = "no reason given"
	}
	line := fmt.Sprintf("instance %s: %s while waiting for %s: %s", in.ID, in.State.Name, want, reason)
	if r != nil {
		r.Log(line)
	}
	return fmt.Errorf("%s: %s: %w", Name, line, providers.ErrWorkloadFailed)
}
