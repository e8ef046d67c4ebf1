package fly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

var _ providers.Connector = (*Provider)(nil)

// Exec timing: the command's bound is what is left of the caller's deadline (else the
// provider's timeout) less execSlack, so that Fly answers, with the output so far, before the
// caller gives up on the request.
const (
	execSlack      = 5 * time.Second
	minExecTimeout = time.Second
)

// Connection implements providers.Connector: the way in Deploy reports, for the env's app and
// the public SSH port its machine's service listens on. Errors: providers.ErrNotFound when
// there is no app or no machine, MissingCredential, API errors.
func (p *Provider) Connection(ctx context.Context, s *providers.Spec) (*providers.Connection, error) {
	_, f, err := p.machineOf(ctx, s)
	if err != nil {
		return nil, err
	}
	return connection(f.t.app, sshPortOf(f.machines[0], s.Config)), nil
}

// sshPortOf returns the public port of the machine's SSH service (the one Deploy made, to
// sshd's internal port); the config's setting, or its default, when the machine has none.
func sshPortOf(m machine, c *config.Config) int {
	for _, svc := range m.Config.Services {
		if svc.InternalPort == sshdPort && len(svc.Ports) > 0 {
			return svc.Ports[0].Port
		}
	}
	var fc *config.FlyConfig
	if c != nil {
		fc = c.Providers.Fly
	}
	return *config.FlyDefaults(fc).SSHPort
}

// Exec implements providers.Connector through the Machines exec API (POST
// /machines/{id}/exec with the argv): no terminal, no input, and no streaming: Fly answers
// once the command has ended, with its whole output, which is then copied to stdout and
// stderr. A command killed by a signal returns 128 plus the signal, as shells do. The command
// is bounded by what is left of ctx's deadline (else the provider's timeout). The request is
// never sent twice once it may have reached Fly. Errors: providers.ErrInvalidSpec for an
// empty command, providers.ErrNotFound when there is no app or machine, an error naming the
// state when the machine is not started, an error saying the command may have run when the
// answer was lost, API errors.
func (p *Provider) Exec(ctx context.Context, s *providers.Spec, cmd []string, stdout, stderr io.Writer) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("fly: exec: %w: no command", providers.ErrInvalidSpec)
	}
	a, f, err := p.machineOf(ctx, s)
	if err != nil {
		return 0, err
	}
	m := f.machines[0]
	if m.State != "started" {
		return 0, fmt.Errorf("fly: machine %s of %s is %s, not started: start it first (sindri-action local start)", m.ID, s.Env, m.State)
	}
	bound := p.timeoutFor(s)
	if dl, ok := ctx.Deadline(); ok {
		bound = time.Until(dl) - execSlack
	}
	bound = max(bound, minExecTimeout)
	ctx, cancel := context.WithTimeout(ctx, bound+execSlack)
	defer cancel()
	var out execResponse
	err = a.exec(ctx, f.t.app, m.ID, execRequest{Command: cmd, Timeout: int(bound / time.Second)}, &out)
	if errors.Is(err, errExecUnanswered) || (err != nil && ctx.Err() != nil) {
		return 0, &execUnansweredError{machine: m.ID, cause: err}
	}
	if err != nil {
		return 0, err
	}
	if _, err := io.WriteString(stdout, out.Stdout); err != nil {
		return 0, fmt.Errorf("fly: exec output: %w", err)
	}
	if _, err := io.WriteString(stderr, out.Stderr); err != nil {
		return 0, fmt.Errorf("fly: exec output: %w", err)
	}
	if out.ExitSignal > 0 {
		return 128 + out.ExitSignal, nil
	}
	return out.ExitCode, nil
}

// execUnansweredError is an exec that failed after the request may have reached Fly (a lost
// answer, a timeout, 408 or 5xx). It is not retryable, and does not unwrap to the transport failure (which is): running
// the command again is for someone who has looked inside the environment.
type execUnansweredError struct {
	machine string
	cause   error
}

func (e *execUnansweredError) Error() string {
	return fmt.Sprintf("fly: exec in machine %s failed after the request may have reached Fly (%v): the command may have run, so it was not sent again; look inside the environment before running it again",
		e.machine, firstCause(e.cause))
}

// Unwrap returns errExecUnanswered only.
func (e *execUnansweredError) Unwrap() error { return errExecUnanswered }

// firstCause returns the failure a Recover verdict was joined to.
func firstCause(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		return j.Unwrap()[0]
	}
	return err
}
