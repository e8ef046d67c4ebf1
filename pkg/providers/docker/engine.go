package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"slices"
	"strconv"
	"syscall"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// wrap classifies an engine error once: unreachable engine (names the address, transient),
// not found, conflict, engine busy; anything else is returned with context only.
func (p *Provider) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("docker: %s: %w", op, err)
	case errors.Is(err, fs.ErrPermission):
		// Not transient: retrying cannot grant access to the socket.
		return fmt.Errorf("docker: %s: permission denied on the Docker engine at %s (run as a user in the socket's group, or as root): %w",
			op, p.host, err)
	case client.IsErrConnectionFailed(err):
		return fmt.Errorf("docker: %s: cannot reach the Docker engine at %s (check the socket or DOCKER_HOST): %w: %w",
			op, p.host, providers.ErrUnavailable, err)
	case cerrdefs.IsNotFound(err):
		return fmt.Errorf("docker: %s: %w: %w", op, providers.ErrNotFound, err)
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("docker: %s: %w: %w", op, providers.ErrConflict, err)
	case cerrdefs.IsUnavailable(err), cerrdefs.IsDeadlineExceeded(err):
		return providers.Transient(fmt.Errorf("docker: %s: %w", op, err))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		// The engine's answer was cut off: the request may or may not have taken effect, and
		// the next attempt observes which.
		return providers.Transient(fmt.Errorf("docker: %s: connection to the engine lost: %w", op, err))
	}
	return fmt.Errorf("docker: %s: %w", op, err)
}

// facts reads the engine properties desired state depends on. It is called only when they
// matter (DinD or an explicit runtime), so plain deploys do not pay for /info.
func (p *Provider) facts(ctx context.Context, s *providers.Spec) (engineFacts, error) {
	if s == nil || s.Config == nil {
		return engineFacts{}, nil
	}
	dc, _ := dockerSettings(s.Config)
	needs := (dc.DinD != nil && dc.DinD.Enabled) || dc.Runtime == sysboxRuntime
	if !needs {
		return engineFacts{}, nil
	}
	info, err := p.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return engineFacts{}, p.wrap("read engine info", err)
	}
	var f engineFacts
	for name := range info.Info.Runtimes {
		f.runtimes = append(f.runtimes, name)
		if name == sysboxRuntime {
			f.sysbox = true
		}
	}
	slices.Sort(f.runtimes)
	return f, nil
}

// containerSpec converts the desired state to Engine API create options.
func (d *desired) containerSpec(configHash string) client.ContainerCreateOptions {
	labels := make(map[string]string, len(d.Labels)+1)
	for k, v := range d.Labels {
		labels[k] = v
	}
	labels[LabelConfigHash] = configHash

	cfg := &container.Config{
		Image:        d.Image,
		Env:          d.envList(),
		Labels:       labels,
		Tty:          true,
		OpenStdin:    true,
		ExposedPorts: network.PortSet{},
	}
	hc := &container.HostConfig{
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyMode(d.Restart)},
		Privileged:    d.Privileged,
		Runtime:       d.Runtime,
		ExtraHosts:    d.ExtraHosts,
		Tmpfs:         d.Tmpfs,
		CapDrop:       d.CapDrop,
		CapAdd:        d.CapAdd,
		SecurityOpt:   d.SecurityOpt,
		GroupAdd:      d.GroupAdd,
		Binds:         d.Binds,
		PortBindings:  network.PortMap{},
		Mounts:        []mount.Mount{{Type: mount.TypeVolume, Source: d.HomeVolume, Target: homePath}},
		Resources: container.Resources{
			Memory:   d.MemoryBytes,
			NanoCPUs: int64(d.CPUs) * 1_000_000_000,
		},
	}
	if d.DinDVolume != "" {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeVolume, Source: d.DinDVolume, Target: dindPath})
	}
	if d.GPUCount > 0 {
		hc.DeviceRequests = []container.DeviceRequest{{Driver: "nvidia", Count: d.GPUCount, Capabilities: [][]string{gpuCapabilities}}}
	}
	var nc *network.NetworkingConfig
	if d.Network != "" {
		hc.NetworkMode = container.NetworkMode(d.Network)
		nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{d.Network: {}}}
		for _, pm := range d.Ports {
			port := network.MustParsePort(strconv.Itoa(int(pm.ContainerPort)) + "/" + pm.Proto)
			cfg.ExposedPorts[port] = struct{}{}
			hc.PortBindings[port] = append(hc.PortBindings[port], network.PortBinding{
				HostIP: netip.MustParseAddr(pm.HostIP), HostPort: pm.hostPortSpec()})
		}
	} else {
		hc.NetworkMode = container.NetworkMode(d.NetworkMode)
	}
	return client.ContainerCreateOptions{Name: d.ContainerName, Config: cfg, HostConfig: hc, NetworkingConfig: nc}
}

// isNotFound reports whether err (possibly already wrapped by this package) means "not found".
func isNotFound(err error) bool { return errors.Is(err, providers.ErrNotFound) }

// isConflict reports whether err (possibly already wrapped by this package) means "conflict".
func isConflict(err error) bool { return errors.Is(err, providers.ErrConflict) }
