package fly

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// waitChunk is how long one /wait call blocks at most while Deploy waits for a start: short,
// so that a machine that keeps exiting is noticed in seconds between calls.
const waitChunk = 5 * time.Second

// transient are the machine states that settle on their own (fly.md §3.12).
var transient = map[string]bool{"creating": true, "starting": true, "stopping": true, "restarting": true,
	"suspending": true, "destroying": true, "updating": true, "replacing": true, "launch_failed": true}

// crashError is a machine that exited on its own while Deploy waited for it.
type crashError struct {
	machine string
	exits   []exitEvent
	state   string
}

func (e *crashError) Error() string {
	var codes []string
	for _, x := range e.exits {
		c := fmt.Sprintf("exit code %d", x.ExitCode)
		if x.OOMKilled {
			c += " (out of memory)"
		}
		if x.Error != "" {
			c += ": " + x.Error
		}
		codes = append(codes, c)
	}
	return fmt.Sprintf("fly: machine %s keeps exiting instead of running (now %s; last exits, newest first: %s); the image's entrypoint fails, see `fly logs -a <app>` or `fly machine status %s`",
		e.machine, e.state, strings.Join(codes, "; "), e.machine)
}

// crashed returns the unrequested exits of m since sinceMS, newest first.
func crashed(m *machine, sinceMS int64) []exitEvent {
	var out []exitEvent
	for _, ev := range m.Events {
		if ev.Type != "exit" || ev.Timestamp < sinceMS || ev.Request == nil || ev.Request.ExitEvent == nil {
			continue
		}
		if x := ev.Request.ExitEvent; !x.RequestedStop {
			out = append(out, *x)
		}
	}
	return out
}

// waitStarted waits until machine id is started and stays so for one poll interval. It fails
// fast, with a *crashError, when the machine exited on its own CrashExits times since sinceMS
// or settled in stopped or failed after such an exit; and with ctx's error or a timeout error
// at the deadline. A 404 right after create (fly.md §3.9) and a 408 mean "again".
func (p *Provider) waitStarted(ctx context.Context, a *api, appName, id string, sinceMS int64, deadline time.Time) error {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("fly: machine %s not started after %v: %w", id, p.timeoutFor(&providers.Spec{}), providers.ErrUnavailable)
		}
		err := a.wait(ctx, appName, id, "started", min(left, waitChunk))
		if err != nil && ctx.Err() != nil {
			return err
		}
		switch st := apiStatus(err); {
		case err == nil, st == http.StatusRequestTimeout, st == http.StatusNotFound, providers.IsRetryable(err):
		default:
			return err
		}
		if err == nil {
			// Started now; make sure it stays so a moment, and has not been exiting.
			if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
				return err
			}
		}
		m, gerr := a.getMachine(ctx, appName, id)
		if gerr != nil {
			if apiStatus(gerr) == http.StatusNotFound || providers.IsRetryable(gerr) {
				continue
			}
			return gerr
		}
		exits := crashed(m, sinceMS)
		switch {
		case len(exits) >= p.cfg.CrashExits,
			len(exits) > 0 && (m.State == "stopped" || m.State == "failed"):
			return &crashError{machine: id, exits: exits, state: m.State}
		case m.State == "destroyed" || m.State == "destroying":
			return fmt.Errorf("fly: machine %s was destroyed while starting: %w", id, providers.ErrNotFound)
		case err == nil && m.State == "started":
			return nil
		}
	}
}

// waitState waits until the machine reaches state (a 404 counts as destroyed), polling /wait
// in chunks until the deadline.
func (p *Provider) waitState(ctx context.Context, a *api, appName, id, state string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := a.wait(ctx, appName, id, state, min(time.Until(deadline), maxWait))
		st := apiStatus(err)
		switch {
		case err == nil:
			return nil
		case st == http.StatusNotFound && state == "destroyed":
			return nil
		case ctx.Err() != nil:
			return err
		case st != http.StatusRequestTimeout && st != http.StatusNotFound && !providers.IsRetryable(err):
			return err
		case time.Now().After(deadline):
			return fmt.Errorf("fly: machine %s did not reach %s within %v: %w", id, state, timeout, providers.ErrUnavailable)
		}
		if st == http.StatusNotFound {
			if err := ctxwait.Sleep(ctx, p.cfg.PollInterval); err != nil {
				return err
			}
		}
	}
}

// waitDestroyed waits until a destroyed machine is gone.
func (p *Provider) waitDestroyed(ctx context.Context, a *api, appName, id string) error {
	return p.waitState(ctx, a, appName, id, "destroyed", p.cfg.AppGone)
}

// stateConflict reports a 409 or 412 from a start, stop or suspend: the machine is in a state
// that does not allow it yet (fly.md §1.5); settle and try again.
func stateConflict(err error) bool {
	st := apiStatus(err)
	return (st == http.StatusConflict || st == http.StatusPreconditionFailed) && !errors.Is(err, providers.ErrCapacity)
}

// transition asks the machine for a state: it reads the machine, returns when it is already
// there (or in one of also), settles a transient state first, posts action, and settles and
// retries on a state conflict. A 404 is providers.ErrNotFound. In a dry run only the action is
// recorded.
func (p *Provider) transition(ctx context.Context, a *api, appName, id, action, want string, dry bool, timeout time.Duration, also ...string) error {
	if dry {
		return a.machineAction(ctx, appName, id, action)
	}
	deadline := time.Now().Add(timeout)
	for {
		m, err := a.getMachine(ctx, appName, id)
		if err != nil {
			return notFound(err, id)
		}
		switch {
		case m.State == want || slices.Contains(also, m.State):
			return nil
		case m.State == "destroyed" || m.State == "destroying":
			return fmt.Errorf("fly: machine %s is %s: %w", id, m.State, providers.ErrNotFound)
		case transient[m.State]:
			if err := p.waitState(ctx, a, appName, id, "settled", time.Until(deadline)); err != nil {
				return err
			}
			continue
		}
		err = a.machineAction(ctx, appName, id, action)
		switch {
		case err == nil:
			if err := p.waitState(ctx, a, appName, id, want, time.Until(deadline)); err != nil && !stateConflict(err) {
				return err
			}
		case stateConflict(err) && time.Now().Before(deadline):
			if err := p.waitState(ctx, a, appName, id, "settled", time.Until(deadline)); err != nil {
				return err
			}
		default:
			return notFound(err, id)
		}
	}
}

// notFound makes a 404 of a machine providers.ErrNotFound with its id.
func notFound(err error, id string) error {
	if apiStatus(err) == http.StatusNotFound {
		return fmt.Errorf("fly: machine %s: %w", id, err)
	}
	return err
}

// startMachine starts a stopped, suspended or created machine.
func (p *Provider) startMachine(ctx context.Context, a *api, appName, id string, dry bool) error {
	return p.transition(ctx, a, appName, id, "start", "started", dry, p.cfg.Timeout)
}
