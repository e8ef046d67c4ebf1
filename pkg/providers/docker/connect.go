package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

var _ providers.Connector = (*Provider)(nil)

// execUser is the user `docker exec` runs as in the Sindri image (the Connection's command).
const execUser = "developer"

// Connection implements providers.Connector: the same way in that Deploy reports, read from
// the environment's container.
func (p *Provider) Connection(ctx context.Context, s *providers.Spec) (*providers.Connection, error) {
	c, err := p.existing(ctx, s, "connect to")
	if err != nil {
		return nil, err
	}
	return p.connection(observed(c)), nil
}

// Exec implements providers.Connector through the engine's exec API: as the developer user in
// the home directory, like the Connection's command; an image without that user (a bare test
// image) runs it as the container's own user instead.
func (p *Provider) Exec(ctx context.Context, s *providers.Spec, cmd []string, stdout, stderr io.Writer) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("docker: exec: %w: no command", providers.ErrInvalidSpec)
	}
	c, err := p.existing(ctx, s, "exec in")
	if err != nil {
		return 0, err
	}
	if c.State == nil || !c.State.Running {
		return 0, fmt.Errorf("docker: %s is not running: start it first", s.Env)
	}
	// The engine reports a missing user on the exec's output with exit code 126, before the
	// command starts; that output is held back until it is known not to be that.
	var out, errOut bytes.Buffer
	code, err := p.exec(ctx, c.ID, execUser, cmd, &out, &errOut)
	if err == nil && code == 126 && strings.Contains(out.String()+errOut.String(), "unable to find user "+execUser) {
		return p.exec(ctx, c.ID, "", cmd, stdout, stderr)
	}
	if _, werr := io.Copy(stdout, &out); werr != nil && err == nil {
		err = werr
	}
	if _, werr := io.Copy(stderr, &errOut); werr != nil && err == nil {
		err = werr
	}
	return code, err
}

func (p *Provider) exec(ctx context.Context, id, user string, cmd []string, stdout, stderr io.Writer) (int, error) {
	created, err := p.cli.ExecCreate(ctx, id, client.ExecCreateOptions{User: user, AttachStdout: true, AttachStderr: true,
		Env: []string{"HOME=" + homePath}, WorkingDir: homePath, Cmd: cmd})
	if err != nil {
		return 0, fmt.Errorf("docker: exec in %s: %w", id[:min(12, len(id))], err)
	}
	att, err := p.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return 0, fmt.Errorf("docker: exec attach: %w", err)
	}
	defer att.Close()
	if _, err := stdcopy.StdCopy(stdout, stderr, att.Reader); err != nil {
		return 0, fmt.Errorf("docker: exec output: %w", err)
	}
	ins, err := p.cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("docker: exec inspect: %w", err)
	}
	return ins.ExitCode, nil
}
