package vm

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/ssh"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/shellword"
)

var _ providers.Connector = (*Provider)(nil)

// errNoHostKey: the instance has no pinned host key (LabelSSHHostKey), so Exec cannot tell
// it from another host answering at its address, and does not connect.
var errNoHostKey = errors.New("the instance has no pinned ssh host key")

// Connection implements providers.Connector: the way in Deploy reports, read from the
// environment's instance. Errors: ErrNotFound when there is no instance; ErrUnsupported on a
// cloud where this provider makes no environments.
func (p *Provider) Connection(ctx context.Context, s *providers.Spec) (*providers.Connection, error) {
	l, err := p.existing(ctx, s, "connect to")
	if err != nil {
		return nil, err
	}
	return connection(*l.inst, l.region), nil
}

// Exec implements providers.Connector over SSH, the way the secrets are delivered: it logs in
// to the running instance as the login user with the environment's delivery key (derived from
// DeliveryKeyVar), requires the host key pinned by the first delivery (never trusting one on
// first use), and runs cmd, its words quoted for the login shell (shellword), in the login directory
// (the user's home), with the secrets exported as the user's login shells have them. There is
// no terminal and no standard input. A command killed by a signal is 128 plus its number.
// Errors: ErrNotFound when there is no instance; ErrAuth when DeliveryKeyVar is not set or no
// host key is pinned yet; ErrConflict when the host key differs from the pinned one (nothing
// is run); an instance that is not running, one that refuses the key, or a connection that
// ends before the command's exit status, as an error.
func (p *Provider) Exec(ctx context.Context, s *providers.Spec, cmd []string, stdout, stderr io.Writer) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("%s: exec: %w: no command", Name, providers.ErrInvalidSpec)
	}
	l, err := p.existing(ctx, s, "exec in")
	if err != nil {
		return 0, err
	}
	in := l.inst
	if in.State != instRunning {
		return 0, fmt.Errorf("%s: instance %s of %s is %s (%s): start it first", Name, in.ID, s.Env, stateOf(in.State), in.CloudState)
	}
	key, _, err := p.derivedKey(s, l.region)
	if err != nil {
		return 0, err
	}
	if key == nil {
		return 0, fmt.Errorf("%s: run a command on instance %s: %s is not set: the command logs in with the environment's delivery key, which is derived from it (set it to the value the deploy had): %w",
			Name, in.ID, DeliveryKeyVar, providers.ErrAuth)
	}
	addr := p.sshAddr(*in)
	if addr == "" {
		return 0, fmt.Errorf("%s: run a command on instance %s: it has no address", Name, in.ID)
	}
	pinned := in.Tags[LabelSSHHostKey]
	if pinned == "" {
		return 0, fmt.Errorf("%s: run a command on instance %s: %w (tag %s), which a deploy sets when it first writes the secrets over ssh; a command is never sent to an unpinned host (deploy with %s and at least one secret, or connect by the way in): %w",
			Name, in.ID, errNoHostKey, LabelSSHHostKey, DeliveryKeyVar, providers.ErrAuth)
	}
	client, _, err := p.sshConnect(ctx, addr, key, pinned)
	switch {
	case errors.Is(err, errHostKeyChanged):
		return 0, fmt.Errorf("%s: run a command on instance %s at %s: %w (pinned %s in tag %s); nothing was run: %w", Name, in.ID, addr, err, pinned, LabelSSHHostKey, providers.ErrConflict)
	case err != nil:
		// An instance launched without DeliveryKeyVar, or with another value, refuses the key.
		return 0, fmt.Errorf("%s: run a command on instance %s: ssh to %s as %s with the delivery key derived from %s: %w", Name, in.ID, addr, p.cfg.SSHUser, DeliveryKeyVar, err)
	}
	defer client.Close()
	err = runSession(ctx, client, profileScript(p.secretsPath)+shellword.Join(cmd), nil, stdout, stderr)
	var exit *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitStatus(), nil
	case ctx.Err() != nil:
		return 0, fmt.Errorf("%s: run a command on instance %s: %w", Name, in.ID, ctx.Err())
	}
	return 0, fmt.Errorf("%s: run a command on instance %s: %w", Name, in.ID, err)
}

// existing locates s's environment for verb ("exec in"): its instance and region. Errors:
// ErrNotFound when there is none; ErrUnsupported on a cloud with images only.
func (p *Provider) existing(ctx context.Context, s *providers.Spec, verb string) (*located, error) {
	if imagesOnly(s) {
		_, err := resolve(s)
		return nil, err
	}
	l, err := p.locate(ctx, s)
	if err != nil {
		return nil, err
	}
	if l == nil || l.inst == nil {
		return nil, fmt.Errorf("%s: %s %s: no instance: %w", Name, verb, s.Env, providers.ErrNotFound)
	}
	return l, nil
}
