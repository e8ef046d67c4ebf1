package e2b

import (
	"context"
	"fmt"
	"io"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/shellword"
)

// Connection implements providers.Connector: the way in Deploy reports, from the sandbox read
// back (its domain and network). Errors: ErrNotFound when the environment has no sandbox.
func (p *Provider) Connection(ctx context.Context, s *providers.Spec) (*providers.Connection, error) {
	sb, err := p.readBack(ctx, s, "connect to")
	if err != nil {
		return nil, err
	}
	return p.connection(sb.SandboxID, deref(sb.Domain), sb.Network), nil
}

// Exec implements providers.Connector through envd's process API, as the SDKs'
// sandbox.commands.run does: the words of cmd are quoted into one line for `/bin/bash -l -c`,
// run as the template's user in its home directory, without a terminal or standard input.
// A paused sandbox is not resumed (envd's proxy would resume one with autoResume on the
// request): Exec says so. A command killed by a signal returns 128 plus the signal, as shells
// do. Errors: ErrNotFound when the environment has no sandbox; ErrInvalidSpec for an empty
// cmd; ErrAuth when envd refuses the access token; a sandbox id or domain that is not a plain
// host name, refused before anything is sent; once the request may have reached envd, any
// failure (a proxy or envd error, a Connect error at the end of the stream, a lost
// connection, ctx's end, which errors.Is still finds) as an error saying the command may have
// run, which providers.IsRetryable never retries.
func (p *Provider) Exec(ctx context.Context, s *providers.Spec, cmd []string, stdout, stderr io.Writer) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("e2b: exec: %w: no command", providers.ErrInvalidSpec)
	}
	sb, err := p.readBack(ctx, s, "exec in")
	if err != nil {
		return 0, err
	}
	if st := sb.state(); st != stateRunning {
		return 0, fmt.Errorf("e2b: sandbox %s of %s is %s: start it first (sindri-action local start, or /sindri start); a command does not resume it", sb.SandboxID, s.Env, st)
	}
	return p.runEnvd(ctx, sb, shellword.Join(cmd), stdout, stderr)
}

// readBack finds s's sandbox for verb and reads it in full: the listing has no domain,
// network or envd token. Errors: ErrNotFound when there is none.
func (p *Provider) readBack(ctx context.Context, s *providers.Spec, verb string) (sandbox, error) {
	a, cur, err := p.locateFor(ctx, s, verb)
	if err != nil {
		return sandbox{}, err
	}
	sb, err := a.getSandbox(ctx, cur.SandboxID)
	switch {
	case isGone(err):
		return sandbox{}, fmt.Errorf("e2b: %s %s: sandbox %s: %w", verb, s.Env, cur.SandboxID, providers.ErrNotFound)
	case err != nil:
		return sandbox{}, fmt.Errorf("e2b: read sandbox %s: %w", cur.SandboxID, err)
	}
	return sb, nil
}
