package docker

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// composeServiceName is the service key upstream used (contract §3.1 (e)).
const composeServiceName = "sindri"

// The compose types below cover exactly what the provider renders, in a stable key order.

// composeFile has no top-level name: docker-compose v1 refuses it. The project name goes on
// the command line instead (the header says so); every resource is named explicitly anyway.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]composeNamed   `yaml:"volumes,omitempty"`
	Networks map[string]composeNamed   `yaml:"networks,omitempty"`
	Secrets  map[string]composeSecret  `yaml:"secrets,omitempty"`
}

type composeService struct {
	Image         string             `yaml:"image"`
	ContainerName string             `yaml:"container_name"`
	Runtime       string             `yaml:"runtime,omitempty"`
	Privileged    bool               `yaml:"privileged,omitempty"`
	Labels        map[string]string  `yaml:"labels,omitempty"`
	Volumes       []string           `yaml:"volumes,omitempty"`
	Environment   []string           `yaml:"environment,omitempty"`
	Secrets       []composeSecretRef `yaml:"secrets,omitempty"`
	Deploy        composeDeploy      `yaml:"deploy"`
	Tmpfs         []string           `yaml:"tmpfs,omitempty"`
	CapDrop       []string           `yaml:"cap_drop,omitempty"`
	CapAdd        []string           `yaml:"cap_add,omitempty"`
	SecurityOpt   []string           `yaml:"security_opt,omitempty"`
	GroupAdd      []string           `yaml:"group_add,omitempty"`
	StdinOpen     bool               `yaml:"stdin_open"`
	TTY           bool               `yaml:"tty"`
	Restart       string             `yaml:"restart"`
	NetworkMode   string             `yaml:"network_mode,omitempty"`
	Networks      []string           `yaml:"networks,omitempty"`
	Ports         []string           `yaml:"ports,omitempty"`
	ExtraHosts    []string           `yaml:"extra_hosts,omitempty"`
}

type composeDeploy struct {
	Resources composeResources `yaml:"resources"`
}

type composeResources struct {
	Limits       composeLimits        `yaml:"limits"`
	Reservations *composeReservations `yaml:"reservations,omitempty"`
}

type composeLimits struct {
	CPUs   string `yaml:"cpus"`
	Memory string `yaml:"memory"`
}

type composeReservations struct {
	Devices []composeDevice `yaml:"devices"`
}

type composeDevice struct {
	Driver       string   `yaml:"driver"`
	Count        int      `yaml:"count"`
	Capabilities []string `yaml:"capabilities"`
}

type composeNamed struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels,omitempty"`
}

type composeSecret struct {
	Environment string `yaml:"environment"`
}

type composeSecretRef struct {
	Source string `yaml:"source"`
	Target string `yaml:"target"`
	Mode   string `yaml:"mode"`
}

// gpuCapabilities are requested for GPU devices (upstream's list).
var gpuCapabilities = []string{"gpu", "compute", "utility"}

// renderCompose renders the docker-compose.yml equivalent to d. It never contains secret
// values: env secrets are listed by name only (compose passes them through from the
// environment of whoever runs it), file secrets come from compose secrets of the same name.
func renderCompose(d *desired) (string, error) {
	svc := composeService{
		Image:         d.Image,
		ContainerName: d.ContainerName,
		Runtime:       d.Runtime,
		Privileged:    d.Privileged,
		Labels:        d.Labels,
		Volumes:       []string{d.HomeVolume + ":" + homePath},
		Deploy: composeDeploy{Resources: composeResources{Limits: composeLimits{
			CPUs: strconv.Itoa(d.CPUs), Memory: strings.TrimSpace(d.Memory)}}},
		CapDrop:     d.CapDrop,
		CapAdd:      d.CapAdd,
		SecurityOpt: d.SecurityOpt,
		GroupAdd:    d.GroupAdd,
		StdinOpen:   true,
		TTY:         true,
		Restart:     d.Restart,
		ExtraHosts:  d.ExtraHosts,
	}
	if d.DinDVolume != "" {
		svc.Volumes = append(svc.Volumes, d.DinDVolume+":"+dindPath)
	}
	svc.Volumes = append(svc.Volumes, d.Binds...)
	for _, e := range d.Environment {
		svc.Environment = append(svc.Environment, e.Name+"="+e.Value)
	}
	// A bare NAME is compose's pass-through form: the value is taken from the environment.
	svc.Environment = append(svc.Environment, d.SecretNames...)
	for _, path := range slices.Sorted(maps.Keys(d.Tmpfs)) {
		svc.Tmpfs = append(svc.Tmpfs, path+":"+d.Tmpfs[path])
	}
	if d.GPUCount > 0 {
		svc.Deploy.Resources.Reservations = &composeReservations{Devices: []composeDevice{{
			Driver: "nvidia", Count: d.GPUCount, Capabilities: gpuCapabilities}}}
	}
	f := composeFile{
		Services: map[string]composeService{},
		Volumes:  map[string]composeNamed{d.HomeVolume: {Name: d.HomeVolume, Labels: d.Labels}},
	}
	if d.DinDVolume != "" {
		f.Volumes[d.DinDVolume] = composeNamed{Name: d.DinDVolume, Labels: d.Labels}
	}
	if d.Network != "" {
		svc.Networks = []string{d.Network}
		f.Networks = map[string]composeNamed{d.Network: {Name: d.Network, Labels: d.Labels}}
		for _, pm := range d.Ports {
			svc.Ports = append(svc.Ports, fmt.Sprintf("%s:%s:%d/%s", hostIPForCompose(pm.HostIP), pm.hostPortSpec(), pm.ContainerPort, pm.Proto))
		}
	} else {
		svc.NetworkMode = d.NetworkMode
	}
	for _, fs := range d.SecretFiles {
		if f.Secrets == nil {
			f.Secrets = map[string]composeSecret{}
		}
		f.Secrets[fs.Name] = composeSecret{Environment: fs.Name}
		svc.Secrets = append(svc.Secrets, composeSecretRef{Source: fs.Name, Target: fs.Path, Mode: fmt.Sprintf("0%o", fs.Mode)})
	}
	f.Services[composeServiceName] = svc

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Rendered by sindri/deploy (docker provider) for environment %s.\n", d.Env)
	fmt.Fprintln(&buf, "# Equivalent to what the provider creates through the Engine API; it holds no secret values.")
	fmt.Fprintf(&buf, "# Project name: %s (docker-compose -p %s ...).\n", d.Env, d.Env)
	if len(d.SecretNames) > 0 || len(d.SecretFiles) > 0 {
		names := append([]string{}, d.SecretNames...)
		for _, fs := range d.SecretFiles {
			names = append(names, fs.Name)
		}
		fmt.Fprintf(&buf, "# Secrets are read from the environment at deploy time: %s\n", strings.Join(names, ", "))
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return "", fmt.Errorf("docker: render compose file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("docker: render compose file: %w", err)
	}
	return buf.String(), nil
}

// hostIPForCompose brackets IPv6 addresses as compose's short port syntax requires.
func hostIPForCompose(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}
