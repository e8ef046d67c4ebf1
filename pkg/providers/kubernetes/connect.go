package kubernetes

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/shellword"
)

var _ providers.Connector = (*Provider)(nil)

// Connection implements providers.Connector: kubectl exec into the Deployment and SSH through
// a port-forward of its Service, in the namespace and context where the environment is.
// Errors: ErrNotFound when no Deployment of the environment exists.
func (p *Provider) Connection(ctx context.Context, s *providers.Spec) (*providers.Connection, error) {
	loc, found, err := p.locate(ctx, s)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("kubernetes: connect to %s: %w", s.Env, providers.ErrNotFound)
	}
	return connection(loc.k.context, loc.ns, s.Env), nil
}

// Exec implements providers.Connector by refusing, with the exact kubectl command to run
// instead: a command in a pod runs over a streaming connection to the node's kubelet (the
// pods/exec subresource upgraded to SPDY or WebSocket), which this provider does not open,
// as it needs no vendor CLI and links no streaming client. Errors: ErrNotFound when the
// environment does not exist; ErrUnsupported otherwise.
func (p *Provider) Exec(ctx context.Context, s *providers.Spec, cmd []string, _, _ io.Writer) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("kubernetes: exec: %w: no command", providers.ErrInvalidSpec)
	}
	c, err := p.Connection(ctx, s)
	if err != nil {
		return 0, err
	}
	run := strings.Replace(c.ExecCommand, " -it ", " ", 1)
	run = strings.TrimSuffix(run, "/bin/bash") + shellword.Join(cmd)
	return 0, fmt.Errorf("kubernetes: running a command in %s needs a stream to the node's kubelet, which the executor does not open: %w; run it with kubectl: %s",
		s.Env, providers.ErrUnsupported, run)
}
