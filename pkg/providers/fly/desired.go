package fly

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Values fixed by the container contract (contract §1.9) and the upstream fly.toml (§3.2 c).
const (
	homePath     = config.HomeDir
	sshdPort     = 2222
	minSwapMB    = 2048
	suspendMaxMB = 2048
	// snapshotRetention is the home volume's snapshot retention in days (upstream's 7).
	snapshotRetention = 7
)

// Regions are Fly's regions (fly.md §10 DOC-REG); a region outside the list is sent anyway
// (Fly adds regions) with a Plan warning, and the API's refusal names it.
var Regions = []string{"ams", "arn", "bom", "cdg", "dfw", "ewr", "fra", "gru", "iad", "jnb",
	"lax", "lhr", "nrt", "ord", "sin", "sjc", "syd", "yyz"}

// Memory bounds per CPU by CPU kind, in MB (fly.md §3.2).
var memoryPerCPU = map[string][2]int{"shared": {256, 2048}, "performance": {2048, 8192}}

// volatileLabels change from job to job without changing what the environment is: they are
// kept in metadata but not hashed.
var volatileLabels = map[string]bool{
	providers.LabelJobID:      true,
	providers.LabelGeneration: true,
	providers.LabelExpiresAt:  true,
}

// desired is the typed desired state of one environment, every default applied once. The
// exported JSON fields feed the config hash; secret values are unexported and never
// serialised.
type desired struct {
	Env          string            `json:"env"`
	App          string            `json:"app"`
	Org          string            `json:"org"`
	Region       string            `json:"region"`
	Image        string            `json:"image"`
	Guest        machineGuest      `json:"guest"`
	SwapMB       int               `json:"swap_mb"`
	Autostop     autostop          `json:"autostop"`
	Autostart    bool              `json:"autostart"`
	SSHPort      int               `json:"ssh_port"`
	VolumeSizeGB int               `json:"volume_size_gb"`
	Environment  map[string]string `json:"environment"`
	SecretNames  []string          `json:"secret_names,omitempty"`
	Files        []machineFile     `json:"files,omitempty"`
	Labels       map[string]string `json:"labels"`

	labels   map[string]string // all labels, volatile ones included
	secrets  map[string]string // app secret name -> value
	warnings []string
}

// flySettings returns providers.fly and the resources with pkg/config's fly defaults applied
// to empty fields (Load applies them already; hand-built configs get them here).
func flySettings(c *config.Config) (config.FlyConfig, config.Resources, int) {
	fc := config.FlyDefaults(c.Providers.Fly)
	res := c.Deployment.Resources
	memory, cpus := config.ResourceDefaults(config.ProviderFly)
	if res.Memory == "" {
		res.Memory = memory
	}
	if res.CPUs == nil {
		res.CPUs = &cpus
	}
	sizeGB := 10
	if ws := c.Deployment.Volumes.Workspace; ws != nil && ws.SizeBytes() > 0 {
		sizeGB = int(ws.SizeGB())
	}
	return fc, res, sizeGB
}

// resolve turns a Spec into the desired state. Errors wrap providers.ErrInvalidSpec.
func (p *Provider) resolve(s *providers.Spec) (*desired, error) {
	if err := specEnv(s); err != nil {
		return nil, err
	}
	if s.Config == nil {
		return nil, fmt.Errorf("fly: %w: Plan and Deploy need the config", providers.ErrInvalidSpec)
	}
	if s.Config.GPUEnabled() {
		return nil, fmt.Errorf("fly: deployment.resources.gpu: %w: Fly.io GPU machines are no longer available (retired on %s); deploy GPU workloads with runpod, northflank, kubernetes or docker", providers.ErrInvalidSpec, config.FlyGPURetired)
	}
	if s.Image == "" {
		return nil, fmt.Errorf("fly: %w: no image resolved for environment %s; the fly provider runs a prebuilt image (name deployment.image or image_config; build from source is not supported)", providers.ErrInvalidSpec, s.Env)
	}
	fc, res, sizeGB := flySettings(s.Config)
	org := fc.Organization
	if org == "" {
		org = p.cfg.Org
	}
	d := &desired{
		Env:          s.Env,
		App:          AppName(p.cfg.AppPrefix, s.Labels[providers.LabelRepo], s.Env),
		Org:          org,
		Region:       fc.Region,
		Image:        s.Image,
		Autostart:    *fc.AutoStartMachines,
		SSHPort:      *fc.SSHPort,
		VolumeSizeGB: sizeGB,
		labels:       maps.Clone(s.Labels),
	}
	if !slices.Contains(Regions, d.Region) {
		d.warnings = append(d.warnings, fmt.Sprintf("providers.fly.region %q is not one of Fly's regions (%s): the API will refuse it unless Fly added it", d.Region, strings.Join(Regions, ", ")))
	}
	if err := d.resolveGuest(fc.CPUKind, res); err != nil {
		return nil, err
	}
	d.resolveAutostop(*fc.AutoStopMachines)
	d.resolveEnv(s.Config)
	if err := d.resolveSecrets(s.Secrets); err != nil {
		return nil, err
	}
	d.Labels = map[string]string{}
	for k, v := range s.Labels {
		if !volatileLabels[k] {
			d.Labels[k] = v
		}
	}
	return d, nil
}

// resolveGuest checks memory and CPUs against Fly's bounds (fly.md §3.2): memory in whole
// 256 MB steps, per CPU 256-2048 MB shared or 2048-8192 MB performance.
func (d *desired) resolveGuest(kind string, res config.Resources) error {
	mb := int(res.MemoryMB())
	cpus := res.CPUCount()
	bounds, ok := memoryPerCPU[kind]
	switch {
	case !ok:
		return fmt.Errorf("fly: providers.fly.cpuKind %q: %w: use shared or performance", kind, providers.ErrInvalidSpec)
	case cpus < 1:
		return fmt.Errorf("fly: deployment.resources.cpus %d: %w: at least 1", cpus, providers.ErrInvalidSpec)
	case mb%256 != 0:
		return fmt.Errorf("fly: deployment.resources.memory %s: %w: Fly memory comes in steps of 256 MB", res.Memory, providers.ErrInvalidSpec)
	case mb < bounds[0]*cpus || mb > bounds[1]*cpus:
		return fmt.Errorf("fly: deployment.resources.memory %s with %d %s CPUs: %w: Fly allows %d to %d MB per %s CPU; change memory or cpus",
			res.Memory, cpus, kind, providers.ErrInvalidSpec, bounds[0], bounds[1], kind)
	}
	d.Guest = machineGuest{CPUKind: kind, CPUs: cpus, MemoryMB: mb}
	return nil
}

// resolveAutostop turns autoStopMachines into Fly's autostop. Upstream asked for suspend and
// always set swap (max(memory/2, 2 GB)), which makes suspend impossible (fly.md §3.7): here a
// machine of at most 2 GB suspends and gets no swap; a larger one stops instead, with a
// warning, and keeps the swap.
func (d *desired) resolveAutostop(autoStop bool) {
	swap := max(d.Guest.MemoryMB/2, minSwapMB)
	switch {
	case !autoStop:
		d.Autostop, d.SwapMB = autostopOff, swap
	case d.Guest.MemoryMB <= suspendMaxMB:
		d.Autostop = autostopSuspend
	default:
		d.Autostop, d.SwapMB = autostopStop, swap
		d.warnings = append(d.warnings, fmt.Sprintf("providers.fly.autoStopMachines: Fly suspends only machines of at most %d MB without swap; this %d MB machine stops when idle instead of suspending",
			suspendMaxMB, d.Guest.MemoryMB))
	}
}

// resolveEnv builds the plain environment of the container contract (contract §1.4).
func (d *desired) resolveEnv(c *config.Config) {
	ext := c.Extensions
	d.Environment = map[string]string{
		"INIT_WORKSPACE":    "true",
		"INSTALL_PROFILE":   ext.Profile,
		"SKIP_AUTO_INSTALL": strconv.FormatBool(!ext.AutoInstallEnabled()),
	}
	if len(ext.Active) > 0 {
		d.Environment["CUSTOM_EXTENSIONS"] = strings.Join(ext.Active, ",")
	}
	if len(ext.Additional) > 0 {
		d.Environment["ADDITIONAL_EXTENSIONS"] = strings.Join(ext.Additional, ",")
	}
	if b := c.Deployment.BuildFromSource; b != nil && b.GitRef != "" {
		d.Environment["SINDRI_SOURCE_REF"] = b.GitRef
	}
}

// resolveSecrets makes every secret an app secret: env secrets by name, file secrets as their
// base64 content under their name, written to their path by config.files.
func (d *desired) resolveSecrets(secrets []providers.SecretValue) error {
	d.secrets = map[string]string{}
	for _, s := range secrets {
		if s.Value == nil {
			return fmt.Errorf("fly: secret %s: %w: no value", s.Name, providers.ErrInvalidSpec)
		}
		if _, plain := d.Environment[s.Name]; plain {
			return fmt.Errorf("fly: secret %s: %w: the name is a variable the environment sets itself", s.Name, providers.ErrInvalidSpec)
		}
		v := s.Value.Reveal()
		if s.MountPath != "" {
			if !strings.HasPrefix(s.MountPath, "/") || strings.Contains(s.MountPath, "..") {
				return fmt.Errorf("fly: secret %s: mountPath %q: %w: must be an absolute file path", s.Name, s.MountPath, providers.ErrInvalidSpec)
			}
			perm := s.Permissions
			if perm == "" {
				perm = config.DefaultSecretPermissions
			}
			mode, err := strconv.ParseInt(perm, 8, 32)
			if err != nil || mode < 0 || mode > 0o777 {
				return fmt.Errorf("fly: secret %s: permissions %q: %w: use an octal mode like 0600", s.Name, s.Permissions, providers.ErrInvalidSpec)
			}
			v = base64.StdEncoding.EncodeToString([]byte(v))
			d.Files = append(d.Files, machineFile{GuestPath: s.MountPath, SecretName: s.Name, Mode: int(mode)})
		}
		d.secrets[s.Name] = v
		d.SecretNames = append(d.SecretNames, s.Name)
	}
	slices.Sort(d.SecretNames)
	return nil
}

// hash is the config hash: everything Deploy puts on the machine but secret values and
// volatile labels.
func (d *desired) hash() string {
	b, _ := json.Marshal(d) // exported fields are plain data
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// secretsHash identifies the secret values: a SHA-256 keyed with the app name, so equal values
// in two environments do not show as equal. Empty when there are no secrets.
func (d *desired) secretsHash() string {
	if len(d.secrets) == 0 {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(d.App))
	for _, n := range d.SecretNames {
		h.Write([]byte{0})
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write([]byte(d.secrets[n]))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// secretValues returns the values, for redaction.
func (d *desired) secretValues() []string {
	return slices.Collect(maps.Values(d.secrets))
}

// machineConfig is the machine's whole config, mounting volumeID.
func (d *desired) machineConfig(volumeID string) machineConfig {
	mc := machineConfig{
		Image: d.Image,
		Env:   maps.Clone(d.Environment),
		Init:  machineInit{SwapSizeMB: d.SwapMB},
		Guest: d.Guest,
		Services: []machineService{{
			Protocol:     "tcp",
			InternalPort: sshdPort,
			// Raw TCP: no handler. Fly's proxy carries it on IPv6 and dedicated IPv4, not on
			// shared IPv4, which needs TLS or HTTP to route (fly.md §5.2).
			Ports:              []servicePort{{Port: d.SSHPort}},
			Autostop:           d.Autostop,
			Autostart:          d.Autostart,
			MinMachinesRunning: 0,
			Checks:             []serviceCheck{{Type: "tcp", Interval: "30s", Timeout: "10s", GracePeriod: "120s"}},
		}},
		Mounts:   []machineMount{{Volume: volumeID, Path: homePath, Name: homeVolume}},
		Files:    slices.Clone(d.Files),
		Metadata: metadataFor(d.Env, d.labels, d.hash(), d.secretsHash()),
		Restart:  machineRestart{Policy: "on-failure", MaxRetries: 3},
		Checks: map[string]machineCheck{
			"ssh": {Type: "tcp", Port: sshdPort, Interval: "30s", Timeout: "10s", GracePeriod: "120s"},
		},
	}
	return mc
}
