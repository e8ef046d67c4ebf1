package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
)

// ProviderRunPod deploys to RunPod pods (contract §3.6).
const ProviderRunPod ProviderName = "runpod"

var runpodSchema = providerSchema{
	name:       ProviderRunPod,
	block:      "runpod",
	resources:  resourceDefaults{memory: "2GB", cpus: 2, workspaceSize: "50GB", workspacePath: "/workspace"},
	needsImage: true,
	unused:     []string{"providers.runpod.gpuCount", "providers.runpod.startSsh", "providers.runpod.templateId"},
	unusedHints: map[string]string{
		"providers.runpod.gpuCount": "the GPU count comes from deployment.resources.gpu.count",
	},
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("runpod", nil, func(s *mapView) { p.RunPod = d.runpod(s) })
	},
	defaults: runpodDefaults,
	rules:    runpodRules,
}

// RunPodConfig is providers.runpod. snake_case aliases are accepted by the loader.
type RunPodConfig struct {
	GPUTypeID       string   `yaml:"gpuTypeId,omitempty" json:"gpuTypeId,omitempty"`
	GPUCount        *int     `yaml:"gpuCount,omitempty" json:"gpuCount,omitempty"`
	ContainerDiskGB *int     `yaml:"containerDiskGb,omitempty" json:"containerDiskGb,omitempty"`
	VolumeSizeGB    *int     `yaml:"volumeSizeGb,omitempty" json:"volumeSizeGb,omitempty"`
	VolumeMountPath string   `yaml:"volumeMountPath,omitempty" json:"volumeMountPath,omitempty"`
	CloudType       string   `yaml:"cloudType,omitempty" json:"cloudType,omitempty"`
	Region          string   `yaml:"region,omitempty" json:"region,omitempty"`
	ExposePorts     []int    `yaml:"exposePorts,omitempty" json:"exposePorts,omitempty"`
	SpotBid         *float64 `yaml:"spotBid,omitempty" json:"spotBid,omitempty"`
	StartSSH        *bool    `yaml:"startSsh,omitempty" json:"startSsh,omitempty"`
	CPUOnly         *bool    `yaml:"cpuOnly,omitempty" json:"cpuOnly,omitempty"`
	CPUInstanceID   string   `yaml:"cpuInstanceId,omitempty" json:"cpuInstanceId,omitempty"`
	TemplateID      string   `yaml:"templateId,omitempty" json:"templateId,omitempty"`
}

func (d *decoder) runpod(m *mapView) *RunPodConfig {
	c := &RunPodConfig{}
	// gpuType is the spelling of upstream's documentation and examples; upstream's parser
	// ignores it, which silently asked for a default GPU. It is read as gpuTypeId here.
	m.strAlias("gpuTypeId", []string{"gpu_type_id", "gpu_type", "gpuType"}, &c.GPUTypeID)
	m.intp("gpuCount", []string{"gpu_count"}, &c.GPUCount, 1, 8)
	m.intp("containerDiskGb", []string{"container_disk_gb"}, &c.ContainerDiskGB, 1, 500)
	m.intp("volumeSizeGb", []string{"volume_size_gb"}, &c.VolumeSizeGB, 0, 2048)
	m.strAlias("volumeMountPath", []string{"volume_mount_path"}, &c.VolumeMountPath)
	m.strAlias("cloudType", []string{"cloud_type"}, &c.CloudType, enum("cloud type", "SECURE", "COMMUNITY"))
	m.str("region", &c.Region)
	m.intList("exposePorts", []string{"expose_ports"}, &c.ExposePorts, 1, 65535)
	m.floatp("spotBid", []string{"spot_bid"}, &c.SpotBid, 0)
	m.boolp("startSsh", []string{"start_ssh"}, &c.StartSSH)
	m.boolp("cpuOnly", []string{"cpu_only"}, &c.CPUOnly)
	m.strAlias("cpuInstanceId", []string{"cpu_instance_id"}, &c.CPUInstanceID)
	m.strAlias("templateId", []string{"template_id"}, &c.TemplateID)
	return c
}

func runpodDefaults(c *Config) {
	r := ensure(&c.Providers.RunPod)
	setPtr(&r.GPUCount, 1)
	setPtr(&r.ContainerDiskGB, 20)
	setStr(&r.VolumeMountPath, "/workspace")
	setStr(&r.CloudType, "COMMUNITY")
	setPtr(&r.SpotBid, 0)
	setPtr(&r.StartSSH, true)
	setPtr(&r.CPUOnly, false)
}

// runpodRules: gpuTypeId asks for a GPU pod by itself (the guide's example sets no
// deployment.resources.gpu), and is checked against the catalogue with the region.
func runpodRules(d *decoder, c *Config) {
	runpodGPURules(d, c)
	runpodVolumeRule(d, c)
	if rp := c.Providers.RunPod; rp != nil && rp.CPUInstanceID != "" {
		if _, _, err := ParseRunPodCPUInstance(rp.CPUInstanceID); err != nil {
			d.errorf(d.present["providers.runpod.cpuInstanceId"], "providers.runpod.cpuInstanceId",
				"write <flavour>-<vCPUs>-<GB>, e.g. cpu3c-4-8, with a flavour of "+strings.Join(catalog.RunPodCPUFlavors, ", "), "%v", err)
		}
	}
}

// ParseRunPodCPUInstance reads a CPU instance id "<flavour>-<vCPUs>[-<memory GB>]" (cpu3c-4-8)
// into its flavour and vCPU count.
func ParseRunPodCPUInstance(s string) (flavor string, vcpus int, err error) {
	parts := strings.Split(s, "-")
	if !slices.Contains(catalog.RunPodCPUFlavors, parts[0]) {
		return "", 0, fmt.Errorf("unknown RunPod CPU flavour in %q", s)
	}
	if len(parts) == 1 {
		return parts[0], 0, nil
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 1 || len(parts) > 3 {
		return "", 0, fmt.Errorf("%q is not a RunPod CPU instance id", s)
	}
	return parts[0], n, nil
}

// runpodVolumeRule: providers.runpod.volumeSizeGb (the guide's key) and
// deployment.volumes.workspace.size (the modelled one) name the same pod volume. Both may be
// set when they agree; a conflict is an error naming both keys.
func runpodVolumeRule(d *decoder, c *Config) {
	rp, ws := c.Providers.RunPod, c.Deployment.Volumes.Workspace
	k, set := d.present["providers.runpod.volumeSizeGb"]
	_, wsSet := d.present["deployment.volumes.workspace.size"]
	if rp == nil || rp.VolumeSizeGB == nil || ws == nil || !set || !wsSet || ws.SizeBytes() == 0 {
		return
	}
	if gb := ws.SizeGB(); int64(*rp.VolumeSizeGB) != gb || ws.SizeBytes() != gb*GiB {
		d.errorf(k, "providers.runpod.volumeSizeGb",
			"keep one of them (providers.runpod.volumeSizeGb is RunPod's spelling of deployment.volumes.workspace.size), or make them equal",
			"providers.runpod.volumeSizeGb (%d GB) and deployment.volumes.workspace.size (%s) set the same pod volume to different sizes",
			*rp.VolumeSizeGB, ws.Size)
	}
}
