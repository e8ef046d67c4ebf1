package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// stateMap is contract §3.1's State.Status map ("restarting" is not in upstream's map; a
// container looping through restarts is not usable, so it reads as creating).
var stateMap = map[container.ContainerState]providers.State{
	container.StateRunning:    providers.StateRunning,
	container.StateExited:     providers.StateStopped,
	"stopped":                 providers.StateStopped,
	container.StatePaused:     providers.StatePaused,
	container.StateCreated:    providers.StateCreating,
	container.StateRestarting: providers.StateCreating,
	container.StateDead:       providers.StateDestroying,
	container.StateRemoving:   providers.StateDestroying,
}

// mapState maps an engine container state to a providers.State (unknown for anything else).
func mapState(s container.ContainerState) providers.State {
	if st, ok := stateMap[s]; ok {
		return st
	}
	return providers.StateUnknown
}

// Status implements providers.Provider. An absent container is StateNotDeployed with a nil
// error; a container with the env's name that sindri did not create, or created for another
// repository, is an error wrapping providers.ErrConflict. When running, Resources holds a CPU and memory sample (about one
// quarter second to collect). An unreachable engine wraps providers.ErrUnavailable.
func (p *Provider) Status(ctx context.Context, s *providers.Spec) (*providers.Status, error) {
	if err := specEnv(s); err != nil {
		return nil, err
	}
	st := &providers.Status{Env: s.Env, Provider: Name, State: providers.StateNotDeployed}
	c, err := p.locate(ctx, s)
	if err != nil || c == nil {
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	st.InstanceID = shortID(c.ID)
	if c.State != nil {
		st.State = mapState(c.State.Status)
		st.Timestamps.StartedAt = parseTime(c.State.StartedAt)
		if st.State == providers.StateStopped {
			st.Timestamps.StoppedAt = parseTime(c.State.FinishedAt)
		}
		if c.State.Error != "" {
			st.Details = map[string]string{"error": c.State.Error}
		}
	}
	st.Timestamps.CreatedAt = parseTime(c.Created)
	if c.Config != nil {
		st.Image = c.Config.Image
	}
	if st.Details == nil {
		st.Details = map[string]string{}
	}
	st.Details["container_id"] = c.ID
	st.Details["image_id"] = c.Image
	if c.Config != nil {
		st.Details["config_hash"] = c.Config.Labels[LabelConfigHash]
	}
	if c.HostConfig != nil {
		st.Details["network_mode"] = string(c.HostConfig.NetworkMode)
	}
	if c.Config != nil {
		if pub := c.Config.Labels[LabelPublicURL]; pub != "" {
			t := providers.AddressHTTP
			if strings.HasPrefix(pub, "https://") {
				t = providers.AddressHTTPS
			}
			st.Addresses = append(st.Addresses, providers.Address{Type: t, Value: pub})
		}
	}
	if c.NetworkSettings != nil {
		for port, bindings := range c.NetworkSettings.Ports {
			for _, b := range bindings {
				if port.Proto() != "tcp" || b.HostPort == "" {
					continue
				}
				hp := 0
				fmt.Sscanf(b.HostPort, "%d", &hp)
				host := dialHost(b.HostIP.String())
				if !b.HostIP.IsValid() {
					host = "127.0.0.1"
				}
				st.Addresses = append(st.Addresses, providers.Address{Type: providers.AddressHTTP,
					Value: fmt.Sprintf("http://%s", joinHostPort(host, b.HostPort)), Port: hp})
			}
		}
	}
	if st.State == providers.StateRunning {
		if u, err := p.usage(ctx, c.ID); err == nil {
			st.Resources = u
		} else if errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	return st, nil
}

// statsGap is the interval between the two stats samples the CPU percentage is computed from.
// The engine's own "previous sample" mode waits a full second (or two); this is enough.
const statsGap = 250 * time.Millisecond

// usage samples CPU and memory: two one-shot samples statsGap apart give the CPU delta.
func (p *Provider) usage(ctx context.Context, id string) (*providers.ResourceUsage, error) {
	first, err := p.statsSample(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := ctxwait.Sleep(ctx, statsGap); err != nil {
		return nil, err
	}
	sr, err := p.statsSample(ctx, id)
	if err != nil {
		return nil, err
	}
	u := &providers.ResourceUsage{}
	cpuDelta := float64(sr.CPUStats.CPUUsage.TotalUsage) - float64(first.CPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(sr.CPUStats.SystemUsage) - float64(first.CPUStats.SystemUsage)
	if sysDelta > 0 && cpuDelta >= 0 {
		online := float64(sr.CPUStats.OnlineCPUs)
		if online == 0 {
			online = float64(len(sr.CPUStats.CPUUsage.PercpuUsage))
		}
		pct := cpuDelta / sysDelta * online * 100
		u.CPUPercent = &pct
	}
	mem := sr.MemoryStats.Usage
	// Like `docker stats`: page cache that can be reclaimed does not count.
	if v, ok := sr.MemoryStats.Stats["inactive_file"]; ok && v < mem {
		mem -= v
	} else if v, ok := sr.MemoryStats.Stats["total_inactive_file"]; ok && v < mem {
		mem -= v
	}
	u.MemoryBytes = &mem
	if sr.MemoryStats.Limit > 0 {
		limit := sr.MemoryStats.Limit
		u.MemoryLimit = &limit
	}
	return u, nil
}

func (p *Provider) statsSample(ctx context.Context, id string) (*container.StatsResponse, error) {
	res, err := p.cli.ContainerStats(ctx, id, client.ContainerStatsOptions{})
	if err != nil {
		return nil, p.wrap("container stats", err)
	}
	defer res.Body.Close()
	var sr container.StatsResponse
	if err := json.NewDecoder(res.Body).Decode(&sr); err != nil {
		return nil, fmt.Errorf("docker: decode stats: %w", err)
	}
	return &sr, nil
}

// existing returns the environment's container for op (stop, start), or an error:
// providers.ErrNotFound when there is none, providers.ErrConflict for a foreign one.
func (p *Provider) existing(ctx context.Context, s *providers.Spec, op string) (*container.InspectResponse, error) {
	if err := specEnv(s); err != nil {
		return nil, err
	}
	c, err := p.locate(ctx, s)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, fmt.Errorf("docker: %s %s: no such environment: %w", op, s.Env, providers.ErrNotFound)
	}
	return c, nil
}

// Stop implements providers.Provider: it stops the container, keeping it and its volume.
// Errors: providers.ErrNotFound when absent, providers.ErrConflict for a foreign container.
func (p *Provider) Stop(ctx context.Context, s *providers.Spec) error {
	c, err := p.existing(ctx, s, "stop")
	if err != nil {
		return err
	}
	if c.State != nil && !c.State.Running && !c.State.Restarting {
		return p.SyncRoutes(ctx)
	}
	if err := p.stopContainer(ctx, c.ID); err != nil {
		return err
	}
	return p.SyncRoutes(ctx)
}

// Start implements providers.Provider: it starts a stopped container and waits for readiness
// like Deploy, probing the ports the container itself publishes (Spec.Config is not needed,
// and today's config may differ from what was deployed). Errors: providers.ErrNotFound when
// absent, providers.ErrConflict for a foreign container or a host port taken meanwhile.
func (p *Provider) Start(ctx context.Context, s *providers.Spec) error {
	c, err := p.existing(ctx, s, "start")
	if err != nil {
		return err
	}
	d := observed(c)
	switch {
	case c.State != nil && c.State.Paused:
		if _, err := p.cli.ContainerUnpause(ctx, c.ID, client.ContainerUnpauseOptions{}); err != nil {
			return p.wrap("unpause container "+d.ContainerName, err)
		}
	case c.State == nil || !c.State.Running:
		if _, err := p.cli.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
			return p.startError(d, err)
		}
	}
	// Start has no Reporter: the error carries the container's last log line.
	if err := p.waitReady(ctx, c.ID, d, p.timeoutFor(s), c.RestartCount, providers.NopReporter{}); err != nil {
		return err
	}
	// The engine picks new host ports at each start of a publicly routed environment.
	return p.SyncRoutes(ctx)
}

// Destroy implements providers.Provider. It removes exactly what carries this env's labels
// (containers, including ones set aside by an interrupted replace; volumes; networks) and
// nothing else: a foreign container named <env>, and whatever sindri made for an environment
// of the same name in another repository (providers.LabelRepo differs from the spec's), is left
// alone. Nothing there is success.
func (p *Provider) Destroy(ctx context.Context, s *providers.Spec) error {
	if err := specEnv(s); err != nil {
		return err
	}
	f, o := ownedFilter(s.Env), ownerOf(s)
	cs, err := p.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return p.wrap("list containers", err)
	}
	for _, c := range cs.Items {
		if !o.ours(c.Labels) {
			continue
		}
		if _, err := p.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); ignoreNotFound(err) != nil {
			return p.wrap("remove container "+shortID(c.ID), err)
		}
	}
	vs, err := p.cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return p.wrap("list volumes", err)
	}
	for _, v := range vs.Items {
		if !o.ours(v.Labels) {
			continue
		}
		if _, err := p.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); ignoreNotFound(err) != nil {
			return p.wrap("remove volume "+v.Name, err)
		}
	}
	ns, err := p.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return p.wrap("list networks", err)
	}
	for _, n := range ns.Items {
		if !o.ours(n.Labels) {
			continue
		}
		if _, err := p.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); ignoreNotFound(err) != nil {
			return p.wrap("remove network "+n.Name, err)
		}
	}
	return p.SyncRoutes(ctx)
}

// specEnv checks the parts of a spec that Status, Stop, Start and Destroy need.
func specEnv(s *providers.Spec) error {
	if s == nil {
		return fmt.Errorf("docker: %w: nil spec", providers.ErrInvalidSpec)
	}
	return validEnvName(s.Env)
}

func parseTime(v string) *time.Time {
	if v == "" || v == "0001-01-01T00:00:00Z" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

// observed is the part of the desired state that starting and readiness need, read from the
// container itself: its name, restart policy and published ports.
func observed(c *container.InspectResponse) *desired {
	d := &desired{ContainerName: strings.TrimPrefix(c.Name, "/"), Restart: "no"}
	if c.Config != nil {
		d.Env = c.Config.Labels[providers.LabelEnv]
	}
	if hc := c.HostConfig; hc != nil {
		d.Restart = string(hc.RestartPolicy.Name)
		for port, bindings := range hc.PortBindings {
			for _, b := range bindings {
				hp, err := strconv.ParseUint(b.HostPort, 10, 16)
				if b.HostPort == "" {
					hp, err = 0, nil // the engine picks the port at each start (public_url)
				}
				if err != nil {
					continue
				}
				ip := DefaultBindAddress
				if b.HostIP.IsValid() {
					ip = b.HostIP.String()
				}
				d.Ports = append(d.Ports, portMapping{HostIP: ip, HostPort: uint16(hp), ContainerPort: port.Num(), Proto: string(port.Proto())})
			}
		}
	}
	sort.Slice(d.Ports, func(i, j int) bool { return d.Ports[i].HostPort < d.Ports[j].HostPort })
	return d
}
