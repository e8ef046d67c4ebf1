package docker

import (
	"context"
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
)

var _ providers.TrafficReporter = (*Provider)(nil)

// InboundBytes implements providers.TrafficReporter from the engine's one-shot container
// stats: the bytes received on all of the container's networks. Errors: providers.ErrNotFound
// when the environment has no running container.
func (p *Provider) InboundBytes(ctx context.Context, s *providers.Spec) (uint64, error) {
	c, err := p.existing(ctx, s, "read traffic of")
	if err != nil {
		return 0, err
	}
	if c.State == nil || !c.State.Running {
		return 0, fmt.Errorf("docker: read traffic of %s: not running: %w", s.Env, providers.ErrNotFound)
	}
	sr, err := p.statsSample(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	var rx uint64
	for _, n := range sr.Networks {
		rx += n.RxBytes
	}
	return rx, nil
}
