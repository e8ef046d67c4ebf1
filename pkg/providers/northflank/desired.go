package northflank

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/shellword"
)

// Settings Sindri applies when the config leaves them open.
const (
	accessMode       = "ReadWriteOnce"
	healthTimeoutSec = 5
)

// desired is the environment a spec asks for, with every default applied once.
type desired struct {
	env    string
	labels map[string]string
	names  names
	// projectID is the project the service lives in; ownProject: it is the environment's
	// own (no projectName in the config), made and removed by the provider.
	projectID   string
	ownProject  bool
	userProject string
	region      string
	image       string
	plan        computePlan
	gpu         *gpuBlock
	instances   int
	autoscale   *autoscaling
	// volume is nil when the environment has no volume.
	volume *volumeBody
	body   serviceBody
	// secrets are the secret values in the body, redacted from recordings and artifacts.
	secrets  []string
	hash     string
	warnings []string
}

// resolve turns a Plan/Deploy spec into the desired environment. Errors wrap
// providers.ErrInvalidSpec.
func resolve(s *providers.Spec) (*desired, error) {
	c := s.Config
	if c == nil {
		return nil, fmt.Errorf("northflank: %w: no config", providers.ErrInvalidSpec)
	}
	if s.Image == "" {
		return nil, fmt.Errorf("northflank: %w: no image to run (set deployment.image)", providers.ErrInvalidSpec)
	}
	nf := c.Providers.Northflank
	if nf == nil {
		nf = &config.NorthflankConfig{}
	}
	d := &desired{env: s.Env, labels: maps.Clone(s.Labels), image: s.Image, region: nf.Region,
		names: namesFor(nf.ServiceName, s.Labels[providers.LabelRepo], s.Env)}
	d.projectID, d.ownProject, d.userProject = slug(nf.ProjectName), nf.ProjectName == "", nf.ProjectName
	if d.ownProject {
		d.projectID = d.names.project
	}
	if d.region != "" && !slices.Contains(catalog.NorthflankRegions, d.region) {
		near := ""
		if n := config.NearNorthflankRegion(d.region); n != "" {
			near = fmt.Sprintf(" (did you mean %s?)", n)
		}
		d.warnings = append(d.warnings, fmt.Sprintf("region %s is not a Northflank region%s: creating the project will be refused", d.region, near))
	}
	if err := d.resolveCompute(c, nf); err != nil {
		return nil, err
	}
	d.resolveScale(c, nf)
	ports, err := d.resolvePorts(nf)
	if err != nil {
		return nil, err
	}
	env, files, err := d.resolveSecrets(s.Secrets)
	if err != nil {
		return nil, err
	}
	dep := deploymentSpec{Instances: d.instances, External: external{ImagePath: s.Image, Credentials: nf.RegistryCredentials},
		Docker: dockerConfig{ConfigType: "default"}, GPU: d.gpu, SSH: sshConfig{Enabled: true}}
	d.body = serviceBody{Name: d.names.service, serviceSettings: serviceSettings{
		Description: serviceDescription(s.Env, s.Labels), Billing: billing{DeploymentPlan: d.planID()}, Deployment: dep,
		Ports: ports, RuntimeEnvironment: env, RuntimeFiles: files, HealthChecks: d.healthChecks(nf), Autoscaling: d.autoscale}}
	if d.volume != nil {
		d.body.CreateOptions = &createOptions{VolumesToAttach: []string{d.volume.Name}}
	}
	d.hash = hashOf(d.body.serviceSettings, d.volume)
	d.body.Tags = []string{managedTag, d.names.envTag, cfgTagPrefix + d.hash}
	return d, nil
}

func (d *desired) planID() string {
	if d.gpu != nil {
		return gpuPlanID(d.gpu.Configuration.GPUType, d.gpu.Configuration.GPUCount)
	}
	return d.plan.ID
}

// resolveCompute picks the plan: a GPU plan for a GPU service (config.NorthflankGPU decides
// the type), else computePlan when it is a real plan, else the cheapest plan holding
// deployment.resources' cpus and memory.
func (d *desired) resolveCompute(c *config.Config, nf *config.NorthflankConfig) error {
	if ch := c.NorthflankGPU(); ch.Err != "" {
		return fmt.Errorf("northflank: %w: %s: %s", providers.ErrInvalidSpec, ch.Field, ch.Err)
	} else if ch.Type != "" {
		if ch.Note != "" {
			d.warnings = append(d.warnings, ch.Note)
		}
		d.gpu = &gpuBlock{Enabled: true, Configuration: gpuConfig{GPUType: ch.Type, GPUCount: ch.Count}}
		g, _ := catalog.NorthflankGPUTypeByID(ch.Type)
		if nf.ComputePlan != "" {
			d.warnings = append(d.warnings, fmt.Sprintf("computePlan %s is not used: a GPU service runs on the GPU plan %s, which bundles CPU and memory", nf.ComputePlan, d.planID()))
		}
		switch {
		case d.region == "":
			d.region = g.Regions[0]
			d.warnings = append(d.warnings, fmt.Sprintf("no providers.northflank.region: a project made for this environment is made in %s, a region with %s GPUs", d.region, ch.Type))
		case d.region != "" && !slices.Contains(g.Regions, d.region):
			d.warnings = append(d.warnings, fmt.Sprintf("region %s has no %s GPUs (offered in %s): the service will not be scheduled", d.region, ch.Type, strings.Join(g.Regions, ", ")))
		}
		return nil
	}
	cpus, mem := c.Deployment.Resources.CPUCount(), c.Deployment.Resources.MemoryMB()
	want, ok := planFor(cpus, mem)
	if nf.ComputePlan != "" {
		if p, known := catalog.NorthflankPlanByID(nf.ComputePlan); known {
			d.plan = p
			if ok && (p.MilliCPU < cpus*1000 || int64(p.MemoryMB) < mem) {
				d.warnings = append(d.warnings, fmt.Sprintf("computePlan %s is smaller than deployment.resources (%d vCPU, %s); the plan is used as written", describePlan(p), cpus, memory(int(mem))))
			}
			return nil
		}
		if !ok {
			return fmt.Errorf("northflank: %w: computePlan %q is not a Northflank plan, and no plan holds %d vCPU and %s (the largest is %s)",
				providers.ErrInvalidSpec, nf.ComputePlan, cpus, memory(int(mem)), describePlan(computePlans[len(computePlans)-1]))
		}
		d.warnings = append(d.warnings, fmt.Sprintf("computePlan %q is not a Northflank plan; %s, the cheapest holding deployment.resources, is used", nf.ComputePlan, describePlan(want)))
	}
	if !ok {
		return fmt.Errorf("northflank: %w: no Northflank plan holds %d vCPU and %s (the largest is %s); lower deployment.resources",
			providers.ErrInvalidSpec, cpus, memory(int(mem)), describePlan(computePlans[len(computePlans)-1]))
	}
	d.plan = want
	return nil
}

// resolveScale decides instances, autoscaling and the volume. A ReadWriteOnce volume holds
// the service to one instance, so when the config asks for more (instances or autoscaling)
// the workspace is not a volume, and says so.
func (d *desired) resolveScale(c *config.Config, nf *config.NorthflankConfig) {
	d.instances = 1
	if nf.Instances != nil && *nf.Instances > 1 {
		d.instances = *nf.Instances
	} else if nf.Instances != nil && *nf.Instances == 0 {
		d.warnings = append(d.warnings, "instances: 0 would deploy nothing; the service runs 1 instance (stop the environment to pause it)")
	}
	if a := nf.AutoScaling; a != nil && a.Enabled {
		h := horizontal{Enabled: true, MinReplicas: deref(a.MinInstances, 1), MaxReplicas: deref(a.MaxInstances, 3),
			CPU: threshold{Enabled: a.TargetCPUUtilization != nil, ThresholdPercentage: deref(a.TargetCPUUtilization, 70)}}
		if a.TargetMemoryUtilization != nil {
			h.Memory = threshold{Enabled: true, ThresholdPercentage: *a.TargetMemoryUtilization}
		}
		if !h.CPU.Enabled && !h.Memory.Enabled {
			h.CPU.Enabled = true
		}
		h.MaxReplicas = max(h.MaxReplicas, h.MinReplicas)
		d.autoscale = &autoscaling{Horizontal: h}
		d.instances = min(max(d.instances, h.MinReplicas), h.MaxReplicas)
	}
	ws := c.Deployment.Volumes.Workspace
	if ws == nil || ws.SizeBytes() == 0 {
		return
	}
	if d.instances > 1 || d.autoscale != nil {
		d.warnings = append(d.warnings, fmt.Sprintf("no workspace volume: a Northflank volume (ReadWriteOnce) holds a service to one instance, and this config asks for %s; %s is on the container's disk and lost on restart (set instances: 1 and disable autoScaling to keep a volume)",
			scaleText(d), ws.Path))
		return
	}
	size := int((ws.SizeBytes() + config.MiB - 1) / config.MiB)
	d.volume = &volumeBody{Name: d.names.volume, Tags: []string{managedTag, d.names.envTag}, Mounts: []mount{{ContainerMountPath: ws.Path}},
		Spec: volumeSpec{AccessMode: accessMode, StorageSize: size}}
}

func scaleText(d *desired) string {
	if d.autoscale != nil {
		return fmt.Sprintf("autoscaling to %d instances", d.autoscale.Horizontal.MaxReplicas)
	}
	return fmt.Sprintf("%d instances", d.instances)
}

// resolvePorts maps providers.northflank.ports; only HTTP ports may be public (others are
// made private, with a warning), and names are at most 8 characters.
func (d *desired) resolvePorts(nf *config.NorthflankConfig) ([]port, error) {
	out := []port{}
	for _, p := range nf.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = "HTTP"
		}
		if len(p.Name) > 8 || len(p.Name) < 1 {
			return nil, fmt.Errorf("northflank: %w: port name %q must be 1 to 8 characters", providers.ErrInvalidSpec, p.Name)
		}
		public := p.Public
		if public && proto != "HTTP" {
			public = false
			d.warnings = append(d.warnings, fmt.Sprintf("port %s (%s %d) is private: only HTTP ports can be public on Northflank", p.Name, proto, p.InternalPort))
		}
		out = append(out, port{Name: p.Name, InternalPort: p.InternalPort, Public: public, Protocol: proto})
	}
	return out, nil
}

// healthChecks maps providers.northflank.healthCheck to one readiness probe.
func (d *desired) healthChecks(nf *config.NorthflankConfig) []healthCheck {
	h := nf.HealthCheck
	if h == nil {
		return []healthCheck{}
	}
	hc := healthCheck{Type: "readinessProbe", InitialDelaySeconds: deref(h.InitialDelaySeconds, 10), PeriodSeconds: deref(h.PeriodSeconds, 15),
		TimeoutSeconds: healthTimeoutSec, FailureThreshold: deref(h.FailureThreshold, 3), SuccessThreshold: 1}
	switch h.Type {
	case "http":
		hc.Protocol, hc.Path, hc.Port = "HTTP", h.Path, deref(h.Port, 0)
	case "command":
		hc.Protocol, hc.Cmd = "CMD", shellword.Join(h.Command)
	default:
		hc.Protocol, hc.Port = "TCP", deref(h.Port, 0)
	}
	return []healthCheck{hc}
}

// resolveSecrets delivers environment secrets in runtimeEnvironment and file secrets in
// runtimeFiles, both on the service itself: a secret group would reach every service of a
// shared project unless restricted, is one more object to find and remove, and reaches
// running services only after a restart, while the service's own variables always win and
// change with the service's PATCH.
func (d *desired) resolveSecrets(secrets []providers.SecretValue) (map[string]string, map[string]runtimeFile, error) {
	env := map[string]string{}
	var files map[string]runtimeFile
	for _, sv := range secrets {
		if sv.Value == nil {
			continue
		}
		v := sv.Value.Reveal()
		if v != "" {
			d.secrets = append(d.secrets, v)
		}
		if sv.MountPath != "" {
			if files == nil {
				files = map[string]runtimeFile{}
			}
			enc := base64.StdEncoding.EncodeToString([]byte(v))
			files[sv.MountPath] = runtimeFile{Data: enc, Encoding: "utf-8"}
			d.secrets = append(d.secrets, enc)
			if sv.Permissions != "" && sv.Permissions != config.DefaultSecretPermissions {
				d.warnings = append(d.warnings, fmt.Sprintf("secret %s: Northflank runtime files take no mode; permissions %s are not applied", sv.Name, sv.Permissions))
			}
			continue
		}
		env[sv.Name] = v
	}
	return env, files, nil
}

// hashOf is the config hash: the SHA-256 of what the service and its volume are made from
// (secret values included, so a rotated secret is a change, but only as part of the whole).
func hashOf(v ...any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// redactedBody is the create body with secret values replaced, for the plan's artifact.
func (d *desired) redactedBody() serviceBody {
	b := d.body
	b.RuntimeEnvironment = maps.Clone(b.RuntimeEnvironment)
	for k := range b.RuntimeEnvironment {
		b.RuntimeEnvironment[k] = "[redacted]"
	}
	if b.RuntimeFiles != nil {
		b.RuntimeFiles = maps.Clone(b.RuntimeFiles)
		for k, f := range b.RuntimeFiles {
			f.Data = "[redacted]"
			b.RuntimeFiles[k] = f
		}
	}
	return b
}

func deref(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
