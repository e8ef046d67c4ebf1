package docker

import (
	"context"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Plan implements providers.Provider. It only reads from the engine (image, container, volume
// and network inspects; engine info when DinD or a runtime is requested) and says what Deploy
// would do to reach the spec: the actions, the resources, the exact Engine API calls, and the
// equivalent docker-compose.yml in Artifacts["docker-compose.yml"] (secret names only).
// Errors: providers.ErrInvalidSpec, providers.ErrConflict (a foreign resource holds one of the
// env's names), providers.ErrUnavailable (engine unreachable).
func (p *Provider) Plan(ctx context.Context, s *providers.Spec) (*providers.Plan, error) {
	facts, err := p.facts(ctx, s)
	if err != nil {
		return nil, err
	}
	d, err := p.resolve(s, facts)
	if err != nil {
		return nil, err
	}
	compose, err := renderCompose(d)
	if err != nil {
		return nil, err
	}
	pl := &providers.Plan{Provider: Name, Artifacts: map[string]string{"docker-compose.yml": compose},
		Warnings: append([]string(nil), d.warnings...)}
	act := func(a providers.ActionType, res, desc string) {
		pl.Actions = append(pl.Actions, providers.PlannedAction{Action: a, Resource: res, Description: desc})
	}
	call := func(format string, args ...any) { pl.Calls = append(pl.Calls, fmt.Sprintf(format, args...)) }

	call("GET /images/%s/json", d.Image)
	imageMissing := false
	if err := p.resolveImage(ctx, d); err != nil {
		if !cerrdefs.IsNotFound(err) && !isNotFound(err) {
			return nil, err
		}
		imageMissing = true
	}
	host, err := registryHost(d.Image)
	if err != nil {
		return nil, err
	}
	switch {
	case imageMissing && d.PullPolicy == pullNever:
		const never = "image is not on the engine and pull_policy is Never: Deploy will fail until it is built or loaded locally"
		act(providers.ActionNone, "image:"+d.Image, never)
		pl.Warnings = append(pl.Warnings, d.Image+": "+never)
	case imageMissing || d.PullPolicy == pullAlways:
		desc := fmt.Sprintf("pull from %s (pull_policy %s)", host, d.PullPolicy)
		auth, note := d.authFor(host)
		if auth.source != "" {
			desc += " with credentials from " + auth.source
		}
		if note != "" {
			pl.Warnings = append(pl.Warnings, "registry credentials: "+note)
		}
		a := providers.ActionCreate
		if !imageMissing {
			// Only the pull can tell whether the tag moved; the container actions below assume
			// it did not.
			a = providers.ActionUpdate
			desc += "; if the tag now names another image, the container is replaced"
		}
		act(a, "image:"+d.Image, desc)
		call("POST /images/create?fromImage=%s (X-Registry-Auth when credentials apply)", d.Image)
		call("GET /images/%s/json", d.Image)
	}
	call("GET /containers/json?all=1&filters={label: %s=%s, %s=%s}", providers.LabelManagedBy, providers.ManagedByValue, providers.LabelEnv, d.Env)
	call("GET /containers/%s/json", d.ContainerName)
	dc, err := p.decide(ctx, s, d)
	if err != nil {
		return nil, err
	}
	existing, recreate := dc.existing, !dc.upToDate

	if d.Network != "" {
		call("GET /networks/%s", d.Network)
		exists, err := p.networkExists(ctx, d)
		if err != nil {
			return nil, err
		}
		if exists {
			act(providers.ActionNone, "network:"+d.Network, "network exists")
		} else {
			act(providers.ActionCreate, "network:"+d.Network, "bridge network for the environment")
			call("POST /networks/create name=%s driver=bridge", d.Network)
		}
	}
	for _, v := range []string{d.HomeVolume, d.DinDVolume} {
		if v == "" {
			continue
		}
		call("GET /volumes/%s", v)
		exists, err := p.volumeExists(ctx, d, v)
		if err != nil {
			return nil, err
		}
		if exists {
			act(providers.ActionNone, "volume:"+v, "volume exists and is kept")
		} else {
			act(providers.ActionCreate, "volume:"+v, "named volume")
			call("POST /volumes/create name=%s driver=local", v)
		}
	}

	cname := "container:" + d.ContainerName
	switch {
	case existing == nil:
		act(providers.ActionCreate, cname, fmt.Sprintf("container from %s", d.Image))
	case recreate:
		act(providers.ActionUpdate, cname, dc.why+": the container is replaced, the home volume is kept")
		call("POST /containers/%s/stop", d.ContainerName)
		call("POST /containers/%s/rename?name=%s-replaced-%s", d.ContainerName, d.ContainerName, shortID(existing.ID))
	case existing.State == nil || !existing.State.Running:
		act(providers.ActionStart, cname, "container is up to date but not running")
		call("POST /containers/%s/start", d.ContainerName)
	default:
		act(providers.ActionNone, cname, "container is up to date and running")
	}
	if existing == nil || recreate {
		call("POST /containers/create?name=%s", d.ContainerName)
		for _, fs := range d.SecretFiles {
			call("PUT /containers/%s/archive?path=/ (secret %s -> %s, mode %04o)", d.ContainerName, fs.Name, fs.Path, fs.Mode)
		}
		call("POST /containers/%s/start", d.ContainerName)
		act(providers.ActionStart, cname, "start and wait until running"+portsNote(d))
		if existing != nil {
			call("DELETE /containers/%s-replaced-%s?force=1", d.ContainerName, shortID(existing.ID))
		}
	}
	call("GET /containers/%s/json (until running)", d.ContainerName)

	cfg := map[string]any{
		"image":   d.Image,
		"memory":  d.Memory,
		"cpus":    d.CPUs,
		"network": d.NetworkMode,
		"restart": d.Restart,
		"dind":    string(d.DinD),
	}
	if d.GPUCount > 0 {
		cfg["gpu_count"] = d.GPUCount
	}
	if len(d.Ports) > 0 {
		ports := make([]string, 0, len(d.Ports))
		for _, pm := range d.Ports {
			ports = append(ports, fmt.Sprintf("%s:%s:%d/%s", pm.HostIP, pm.hostPortSpec(), pm.ContainerPort, pm.Proto))
		}
		cfg["ports"] = ports
	}
	pl.Resources = append(pl.Resources, providers.PlannedResource{ResourceType: "container", Name: d.ContainerName, Config: cfg})
	pl.Resources = append(pl.Resources, providers.PlannedResource{ResourceType: "volume", Name: d.HomeVolume,
		Config: map[string]any{"mount": homePath}})
	if d.DinDVolume != "" {
		pl.Resources = append(pl.Resources, providers.PlannedResource{ResourceType: "volume", Name: d.DinDVolume,
			Config: map[string]any{"mount": dindPath}})
	}
	if d.Network != "" {
		pl.Resources = append(pl.Resources, providers.PlannedResource{ResourceType: "network", Name: d.Network,
			Config: map[string]any{"driver": "bridge"}})
	}
	return pl, nil
}

func portsNote(d *desired) string {
	if len(d.Ports) == 0 {
		return ""
	}
	var ps []string
	for _, pm := range d.Ports {
		if pm.HostPort == 0 {
			ps = append(ps, fmt.Sprintf("%s:(port the engine picks for %d)", dialHost(pm.HostIP), pm.ContainerPort))
			continue
		}
		ps = append(ps, fmt.Sprintf("%s:%d", dialHost(pm.HostIP), pm.HostPort))
	}
	return " and " + strings.Join(ps, ", ") + " accept connections"
}

func (p *Provider) networkExists(ctx context.Context, d *desired) (bool, error) {
	res, err := p.cli.NetworkInspect(ctx, d.Network, client.NetworkInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return false, nil
		}
		return false, p.wrap("inspect network "+d.Network, err)
	}
	if res.Network.Name != d.Network {
		return false, nil
	}
	if o := d.owner(); !o.ours(res.Network.Labels) {
		return false, fmt.Errorf("docker: a network named %s exists %s: %w", d.Network, o.stranger(res.Network.Labels), providers.ErrConflict)
	}
	return true, nil
}

func (p *Provider) volumeExists(ctx context.Context, d *desired, name string) (bool, error) {
	res, err := p.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return false, nil
		}
		return false, p.wrap("inspect volume "+name, err)
	}
	if o := d.owner(); !o.ours(res.Volume.Labels) {
		return false, fmt.Errorf("docker: a volume named %s exists %s: %w", name, o.stranger(res.Volume.Labels), providers.ErrConflict)
	}
	return true, nil
}
