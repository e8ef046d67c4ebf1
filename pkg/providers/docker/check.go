package docker

import (
	"context"
	"time"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Check implements providers.Checker: the Docker engine this provider talks to answers within
// 5 seconds, and its version and API version are reported. Problems name the engine's
// address, which holds no credential (DOCKER_HOST is a socket path or tcp://host:port).
func (p *Provider) Check(ctx context.Context) providers.Readiness {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := p.cli.ServerVersion(cctx, client.ServerVersionOptions{})
	if err != nil {
		return providers.Readiness{Problems: []string{"the Docker engine at " + p.host + " does not answer (" + err.Error() +
			"): start it, or point DOCKER_HOST (or SINDRI_DOCKER_HOST) at a running engine"}}
	}
	return providers.Readiness{Ready: true, Version: "Docker Engine " + v.Version + " (API " + v.APIVersion + ")"}
}
