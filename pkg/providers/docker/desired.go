package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Paths and values fixed by the container contract (contract §1.9).
const (
	homePath      = config.HomeDir
	dindPath      = "/var/lib/docker"
	dockerSocket  = "/var/run/docker.sock"
	sysboxRuntime = "sysbox-runc"
	// LabelConfigHash holds the hash of the desired container configuration (image ID included,
	// secret values excluded); a different hash means the container is recreated.
	LabelConfigHash = "sindri.dev/config-hash"
)

// dindMode is the resolved Docker-in-Docker mode.
type dindMode string

const (
	dindNone       dindMode = "none"
	dindSysbox     dindMode = "sysbox"
	dindPrivileged dindMode = "privileged"
	dindSocket     dindMode = "socket"
)

// portMapping is one published port.
type portMapping struct {
	HostIP        string `json:"host_ip"`
	HostPort      uint16 `json:"host_port"`
	ContainerPort uint16 `json:"container_port"`
	Proto         string `json:"proto"`
}

// envVar is one plain (non-secret) environment variable.
type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// fileSecret is a secret delivered as a file; Content is never hashed, logged or rendered.
type fileSecret struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Mode    int64  `json:"mode"`
	content []byte
}

// envSecret is a secret delivered as an environment variable.
type envSecret struct {
	Name  string
	value string
}

// desired is the typed desired state of one environment: everything Deploy creates, derived
// from a Spec in one place. Exported JSON fields feed the config hash; secret values are
// unexported and never serialised.
type desired struct {
	Env           string            `json:"env"`
	Image         string            `json:"image"`
	ImageID       string            `json:"image_id,omitempty"`
	ContainerName string            `json:"container"`
	HomeVolume    string            `json:"home_volume"`
	DinDVolume    string            `json:"dind_volume,omitempty"`
	Network       string            `json:"network,omitempty"` // per-env network, bridge mode only
	NetworkMode   string            `json:"network_mode"`      // bridge, host or none
	Restart       string            `json:"restart"`
	Memory        string            `json:"memory"`
	MemoryBytes   int64             `json:"memory_bytes"`
	CPUs          int               `json:"cpus"`
	GPUCount      int               `json:"gpu_count,omitempty"`
	DinD          dindMode          `json:"dind"`
	Privileged    bool              `json:"privileged"`
	Runtime       string            `json:"runtime,omitempty"`
	Ports         []portMapping     `json:"ports,omitempty"`
	ExtraHosts    []string          `json:"extra_hosts,omitempty"`
	Environment   []envVar          `json:"environment"`
	SecretNames   []string          `json:"secret_env,omitempty"`
	SecretFiles   []fileSecret      `json:"secret_files,omitempty"`
	Labels        map[string]string `json:"labels"`
	Tmpfs         map[string]string `json:"tmpfs"`
	CapDrop       []string          `json:"cap_drop,omitempty"`
	CapAdd        []string          `json:"cap_add,omitempty"`
	SecurityOpt   []string          `json:"security_opt,omitempty"`
	GroupAdd      []string          `json:"group_add,omitempty"`
	Binds         []string          `json:"binds,omitempty"`

	// PullPolicy is deployment.image_config.pull_policy. It is not hashed: a policy change
	// alone does not recreate the container; a pulled image with a new ID does.
	PullPolicy pullPolicy `json:"-"`

	secrets []envSecret
	// credentials are Spec.Credentials by name (registry credentials); never delivered,
	// hashed or rendered.
	credentials map[string]string
	warnings    []string
}

// engineFacts are the engine properties desired state depends on.
type engineFacts struct {
	// sysbox reports whether the engine has the sysbox-runc runtime.
	sysbox bool
	// runtimes are the engine's runtime names.
	runtimes []string
}

// volatileLabels change from job to job without changing what the environment is.
var volatileLabels = map[string]bool{
	providers.LabelJobID:      true,
	providers.LabelGeneration: true,
	providers.LabelExpiresAt:  true,
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// dockerSettings returns providers.docker with the contract's docker defaults (pkg/config
// states them once) applied to every empty field: Load applies them already; resolving them
// here again keeps hand-built configs working. It is the one place this package reads them.
func dockerSettings(c *config.Config) (config.DockerConfig, config.Resources) {
	var dc config.DockerConfig
	if c.Providers.Docker != nil {
		dc = *c.Providers.Docker
	}
	if dc.Network == "" {
		dc.Network = config.DockerNetwork
	}
	if dc.Restart == "" {
		dc.Restart = config.DockerRestart
	}
	if dc.Runtime == "" {
		dc.Runtime = config.DockerRuntime
	}
	if dc.DinD != nil {
		d := *dc.DinD
		if d.Mode == "" {
			d.Mode = config.DockerDinDMode
		}
		if d.StorageDriver == "" {
			d.StorageDriver = config.DockerDinDDriver
		}
		if d.StorageSize == "" {
			d.StorageSize = config.DockerDinDStorageSize
		}
		dc.DinD = &d
	}
	res := c.Deployment.Resources
	memory, cpus := config.ResourceDefaults(config.ProviderDocker)
	if res.Memory == "" {
		res.Memory = memory
	}
	if res.CPUs == nil {
		res.CPUs = &cpus
	}
	return dc, res
}

// resolve turns a Spec into the desired state. bindAddress is the default host address for
// published ports. Errors wrap providers.ErrInvalidSpec.
func resolve(s *providers.Spec, bindAddress string, facts engineFacts) (*desired, error) {
	if s == nil || s.Config == nil {
		return nil, fmt.Errorf("docker: %w: spec and its config are required", providers.ErrInvalidSpec)
	}
	if err := validEnvName(s.Env); err != nil {
		return nil, err
	}
	if s.Image == "" {
		return nil, fmt.Errorf("docker: %w: no image resolved for environment %s", providers.ErrInvalidSpec, s.Env)
	}
	dc, res := dockerSettings(s.Config)
	d := &desired{
		Env:           s.Env,
		Image:         s.Image,
		ContainerName: s.Env,
		HomeVolume:    s.Env + "_home",
		Memory:        res.Memory,
		CPUs:          *res.CPUs,
		Restart:       dc.Restart,
		Privileged:    dc.Privileged,
		ExtraHosts:    slices.Clone(dc.ExtraHosts),
		Tmpfs:         map[string]string{"/tmp": "size=2G,mode=1777,noexec,nosuid,nodev"},
	}
	var err error
	if d.PullPolicy, err = pullPolicyOf(s.Config); err != nil {
		return nil, err
	}
	if d.MemoryBytes, err = config.ParseSize(res.Memory); err != nil {
		return nil, fmt.Errorf("docker: deployment.resources.memory: %w: %w", providers.ErrInvalidSpec, err)
	}
	if d.CPUs < 1 {
		return nil, fmt.Errorf("docker: deployment.resources.cpus %d: %w: must be at least 1", d.CPUs, providers.ErrInvalidSpec)
	}
	switch dc.Restart {
	case "no", "always", "on-failure", "unless-stopped":
	default:
		return nil, fmt.Errorf("docker: providers.docker.restart %q: %w: use no, always, on-failure or unless-stopped", dc.Restart, providers.ErrInvalidSpec)
	}

	if g := res.GPU; g != nil && g.Enabled {
		if g.Type != "" && g.Type != "nvidia" {
			// As everywhere upstream (and as pkg/config warns): requested as NVIDIA devices.
			d.warnings = append(d.warnings, fmt.Sprintf("deployment.resources.gpu.type %s: Docker requests GPUs through the nvidia driver", g.Type))
		}
		d.GPUCount = 1
		if g.Count != nil {
			d.GPUCount = *g.Count
		}
		if d.GPUCount < 1 {
			return nil, fmt.Errorf("docker: deployment.resources.gpu.count %d: %w: must be at least 1", d.GPUCount, providers.ErrInvalidSpec)
		}
	}

	if err := d.resolveDinD(dc, facts); err != nil {
		return nil, err
	}
	if err := d.resolveRuntime(dc, facts); err != nil {
		return nil, err
	}
	if err := d.resolveNetwork(dc, bindAddress); err != nil {
		return nil, err
	}
	d.resolveEnv(s.Config, dc)
	if err := d.resolveSecrets(s.Secrets); err != nil {
		return nil, err
	}
	d.credentials = map[string]string{}
	for _, c := range s.Credentials {
		if c.Value != nil && c.MountPath == "" {
			d.credentials[c.Name] = c.Value.Reveal()
		}
	}
	d.Labels = labelsFor(s)
	return d, nil
}

// validEnvName checks the environment name is usable as a container, volume and network name.
func validEnvName(env string) error {
	if env == "" || len(env) > 63 {
		return fmt.Errorf("docker: environment name %q: %w: 1 to 63 characters required", env, providers.ErrInvalidSpec)
	}
	for i, r := range env {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || (r == '-' && i > 0 && i < len(env)-1)
		if !ok {
			return fmt.Errorf("docker: environment name %q: %w: lowercase letters, digits and inner dashes only", env, providers.ErrInvalidSpec)
		}
	}
	return nil
}

// resolveDinD applies contract §3.1 detect_dind_mode, plus an explicit error where upstream
// silently degraded a requested sysbox mode: the requester asked for isolation it would not get.
func (d *desired) resolveDinD(dc config.DockerConfig, facts engineFacts) error {
	d.DinD = dindNone
	if dc.DinD == nil || !dc.DinD.Enabled {
		if !d.Privileged {
			d.CapDrop = []string{"ALL"}
			d.CapAdd = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID"}
		}
		return nil
	}
	switch dc.DinD.Mode {
	case "sysbox":
		if !facts.sysbox {
			return fmt.Errorf("docker: providers.docker.dind.mode sysbox: %w: the engine has no sysbox-runc runtime (it has %s); install sysbox on the engine host, or choose mode privileged, socket or auto",
				providers.ErrInvalidSpec, strings.Join(facts.runtimes, ", "))
		}
		d.DinD = dindSysbox
	case "privileged":
		d.DinD = dindPrivileged
	case "socket":
		d.DinD = dindSocket
	case "auto":
		switch {
		case facts.sysbox:
			d.DinD = dindSysbox
		case dc.Privileged:
			d.DinD = dindPrivileged
		default:
			d.warnings = append(d.warnings, "dind.enabled with mode auto: no sysbox-runc runtime and providers.docker.privileged is false; running without Docker-in-Docker")
		}
	default:
		return fmt.Errorf("docker: providers.docker.dind.mode %q: %w: use sysbox, privileged, socket or auto", dc.DinD.Mode, providers.ErrInvalidSpec)
	}
	switch dc.DinD.StorageDriver {
	case "auto", "overlay2", "fuse-overlayfs", "vfs":
	default:
		return fmt.Errorf("docker: providers.docker.dind.storageDriver %q: %w: use auto, overlay2, fuse-overlayfs or vfs", dc.DinD.StorageDriver, providers.ErrInvalidSpec)
	}
	if _, err := config.ParseSize(dc.DinD.StorageSize); err != nil {
		return fmt.Errorf("docker: providers.docker.dind.storageSize: %w: %w", providers.ErrInvalidSpec, err)
	}
	switch d.DinD {
	case dindNone:
		if !d.Privileged {
			d.CapDrop = []string{"ALL"}
			d.CapAdd = []string{"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID"}
		}
	case dindSysbox:
		d.Runtime = sysboxRuntime
	case dindPrivileged:
		d.Privileged = true
		d.DinDVolume = d.ContainerName + "_docker"
	case dindSocket:
		d.Binds = []string{dockerSocket + ":" + dockerSocket}
		d.SecurityOpt = []string{"no-new-privileges:true"}
		d.GroupAdd = []string{"docker"}
	}
	return nil
}

// resolveRuntime applies providers.docker.runtime, which upstream ignored.
func (d *desired) resolveRuntime(dc config.DockerConfig, facts engineFacts) error {
	switch dc.Runtime {
	case "auto":
		return nil
	case "runc":
		if d.DinD == dindSysbox {
			return fmt.Errorf("docker: providers.docker.runtime runc: %w: DinD mode sysbox needs the sysbox-runc runtime", providers.ErrInvalidSpec)
		}
		d.Runtime = "runc"
	case sysboxRuntime:
		if !facts.sysbox {
			return fmt.Errorf("docker: providers.docker.runtime sysbox-runc: %w: the engine has no sysbox-runc runtime (has %s)", providers.ErrInvalidSpec, strings.Join(facts.runtimes, ", "))
		}
		d.Runtime = sysboxRuntime
	default:
		return fmt.Errorf("docker: providers.docker.runtime %q: %w: use runc, sysbox-runc or auto", dc.Runtime, providers.ErrInvalidSpec)
	}
	return nil
}

// resolveNetwork applies providers.docker.network (ignored upstream) and parses the ports.
func (d *desired) resolveNetwork(dc config.DockerConfig, bindAddress string) error {
	switch dc.Network {
	case "bridge":
		d.NetworkMode = "bridge"
		d.Network = d.ContainerName + "_net"
	case "host", "none":
		d.NetworkMode = dc.Network
		if len(dc.Ports) > 0 {
			d.warnings = append(d.warnings, fmt.Sprintf("providers.docker.ports ignored: network mode %s publishes no ports", dc.Network))
		}
		if dc.Network == "none" && len(d.ExtraHosts) > 0 {
			d.warnings = append(d.warnings, "providers.docker.extraHosts ignored: network mode none")
			d.ExtraHosts = nil
		}
		return nil
	default:
		return fmt.Errorf("docker: providers.docker.network %q: %w: use bridge, host or none", dc.Network, providers.ErrInvalidSpec)
	}
	seen := map[string]bool{}
	for _, spec := range dc.Ports {
		pm, err := parsePort(spec, bindAddress)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s:%d/%s", pm.HostIP, pm.HostPort, pm.Proto)
		if seen[key] {
			return fmt.Errorf("docker: providers.docker.ports %q: %w: host port %d published twice", spec, providers.ErrInvalidSpec, pm.HostPort)
		}
		seen[key] = true
		d.Ports = append(d.Ports, pm)
	}
	return nil
}

// parsePort parses "[ip:]host:container[/tcp|/udp]" (config.ParsePortMapping); an entry
// without an address binds on bindAddress.
func parsePort(spec, bindAddress string) (portMapping, error) {
	pm, err := config.ParsePortMapping(spec)
	if err != nil {
		return portMapping{}, fmt.Errorf("docker: providers.docker.ports %q: %w: %v (expected host:container, e.g. 8080:80)", spec, providers.ErrInvalidSpec, err)
	}
	host := pm.HostIP
	if host == "" {
		host = bindAddress
	}
	return portMapping{HostIP: host, HostPort: pm.HostPort, ContainerPort: pm.ContainerPort, Proto: pm.Proto}, nil
}

// resolveEnv builds the container env contract (contract §1.4), in the upstream order.
func (d *desired) resolveEnv(c *config.Config, dc config.DockerConfig) {
	add := func(n, v string) { d.Environment = append(d.Environment, envVar{Name: n, Value: v}) }
	ext := c.Extensions
	add("INIT_WORKSPACE", "true")
	add("INSTALL_PROFILE", ext.Profile)
	if len(ext.Active) > 0 {
		add("CUSTOM_EXTENSIONS", strings.Join(ext.Active, ","))
	}
	if len(ext.Additional) > 0 {
		add("ADDITIONAL_EXTENSIONS", strings.Join(ext.Additional, ","))
	}
	autoInstall := ext.AutoInstall == nil || *ext.AutoInstall
	add("SKIP_AUTO_INSTALL", strconv.FormatBool(!autoInstall))
	if d.DinD != dindNone && dc.DinD != nil {
		add("SINDRI_DIND_MODE", string(d.DinD))
		add("SINDRI_DIND_STORAGE_SIZE", dc.DinD.StorageSize)
		// Upstream emitted "fuseoverlayfs"; dockerd only knows "fuse-overlayfs".
		add("SINDRI_DIND_STORAGE_DRIVER", dc.DinD.StorageDriver)
	}
	if b := c.Deployment.BuildFromSource; b != nil && b.GitRef != "" {
		add("SINDRI_SOURCE_REF", b.GitRef)
	}
}

// resolveSecrets sorts secrets into env and file deliveries. Values stay unexported.
func (d *desired) resolveSecrets(secrets []providers.SecretValue) error {
	plain := map[string]bool{}
	for _, e := range d.Environment {
		plain[e.Name] = true
	}
	seen := map[string]bool{}
	for _, s := range secrets {
		if s.Value == nil {
			return fmt.Errorf("docker: secret %s: %w: no value", s.Name, providers.ErrInvalidSpec)
		}
		if s.MountPath != "" {
			if !strings.HasPrefix(s.MountPath, "/") || strings.Contains(s.MountPath, "..") || strings.HasSuffix(s.MountPath, "/") {
				return fmt.Errorf("docker: secret %s: mountPath %q: %w: must be an absolute file path", s.Name, s.MountPath, providers.ErrInvalidSpec)
			}
			perm := s.Permissions
			if perm == "" {
				perm = config.DefaultSecretPermissions
			}
			mode, err := strconv.ParseInt(perm, 8, 32)
			if err != nil || mode < 0 || mode > 0o777 {
				return fmt.Errorf("docker: secret %s: permissions %q: %w: use an octal mode like 0600", s.Name, s.Permissions, providers.ErrInvalidSpec)
			}
			d.SecretFiles = append(d.SecretFiles, fileSecret{Name: s.Name, Path: s.MountPath, Mode: mode, content: []byte(s.Value.Reveal())})
			continue
		}
		if !envNameRE.MatchString(s.Name) {
			return fmt.Errorf("docker: secret %q: %w: not a valid environment variable name", s.Name, providers.ErrInvalidSpec)
		}
		if plain[s.Name] {
			return fmt.Errorf("docker: secret %s: %w: the name is reserved by the container env contract", s.Name, providers.ErrInvalidSpec)
		}
		if seen[s.Name] {
			return fmt.Errorf("docker: secret %s: %w: declared twice", s.Name, providers.ErrInvalidSpec)
		}
		seen[s.Name] = true
		d.secrets = append(d.secrets, envSecret{Name: s.Name, value: s.Value.Reveal()})
		d.SecretNames = append(d.SecretNames, s.Name)
	}
	sort.Strings(d.SecretNames)
	sort.Slice(d.secrets, func(i, j int) bool { return d.secrets[i].Name < d.secrets[j].Name })
	sort.Slice(d.SecretFiles, func(i, j int) bool { return d.SecretFiles[i].Path < d.SecretFiles[j].Path })
	return nil
}

// labelsFor returns spec.Labels plus the labels that make a resource ours.
func labelsFor(s *providers.Spec) map[string]string {
	l := make(map[string]string, len(s.Labels)+2)
	for k, v := range s.Labels {
		l[k] = v
	}
	l[providers.LabelEnv] = s.Env
	l[providers.LabelManagedBy] = providers.ManagedByValue
	return l
}

// owner is whose resources an operation may reuse, change or remove: one environment, of one
// repository when the spec names it (providers.LabelRepo).
type owner struct {
	env  string
	repo string
}

// ownerOf returns the owner a spec describes.
func ownerOf(s *providers.Spec) owner {
	return owner{env: s.Env, repo: s.Labels[providers.LabelRepo]}
}

// owner returns the owner of what d describes.
func (d *desired) owner() owner { return owner{env: d.Env, repo: d.Labels[providers.LabelRepo]} }

// ours reports whether labels mark a resource as created by this provider for o. A resource
// of another repository that happens to have the same env name is not ours; a resource or
// spec without the repository label is matched on env alone, so resources made before the
// label existed stay manageable.
func (o owner) ours(labels map[string]string) bool {
	if labels[providers.LabelManagedBy] != providers.ManagedByValue || labels[providers.LabelEnv] != o.env {
		return false
	}
	theirs := labels[providers.LabelRepo]
	return o.repo == "" || theirs == "" || strings.EqualFold(o.repo, theirs)
}

// stranger describes who made a resource that is not ours, for a conflict error.
func (o owner) stranger(labels map[string]string) string {
	if labels[providers.LabelManagedBy] == providers.ManagedByValue && labels[providers.LabelEnv] == o.env {
		return fmt.Sprintf("that sindri created for repository %q, not %q", labels[providers.LabelRepo], o.repo)
	}
	return "that sindri did not create"
}

// hash is the config hash of the desired container: everything that shapes the container except
// secret values (secret names and file paths/modes are included). ImageID must be set.
func (d *desired) hash() string {
	// Labels are included (a new sha is a new deploy) except the per-job bookkeeping ones: a
	// new job id, generation or expiry alone must not recreate the environment.
	c := *d
	c.Labels = make(map[string]string, len(d.Labels))
	for k, v := range d.Labels {
		if !volatileLabels[k] {
			c.Labels[k] = v
		}
	}
	b, err := json.Marshal(c) // encoding/json sorts map keys, so the hash is stable
	if err != nil {
		panic(fmt.Sprintf("docker: hashing desired state: %v", err)) // plain data; cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// envList returns the container's full environment: the contract vars, then the secrets.
func (d *desired) envList() []string {
	out := make([]string, 0, len(d.Environment)+len(d.secrets))
	for _, e := range d.Environment {
		out = append(out, e.Name+"="+e.Value)
	}
	for _, s := range d.secrets {
		out = append(out, s.Name+"="+s.value)
	}
	return out
}
