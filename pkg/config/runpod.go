package config

// ProviderRunPod deploys to RunPod pods (contract §3.6).
const ProviderRunPod ProviderName = "runpod"

var runpodSchema = providerSchema{
	name:       ProviderRunPod,
	block:      "runpod",
	resources:  resourceDefaults{memory: "2GB", cpus: 2, workspaceSize: "50GB", workspacePath: "/workspace"},
	needsImage: true,
	unused: []string{"providers.runpod.gpuCount", "providers.runpod.volumeSizeGb",
		"providers.runpod.volumeMountPath", "providers.runpod.startSsh", "providers.runpod.cpuOnly",
		"providers.runpod.cpuInstanceId", "providers.runpod.templateId"},
	unusedHints: map[string]string{
		"providers.runpod.gpuCount":     "the GPU count comes from deployment.resources.gpu.count",
		"providers.runpod.volumeSizeGb": "the volume size comes from deployment.volumes.workspace.size",
		"providers.runpod.cpuOnly":      "a CPU pod is used whenever deployment.resources.gpu.enabled is not true",
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
	m.special = map[string]string{
		"gpuType": `did you mean "gpuTypeId"? (upstream accepts gpu_type as an alias, but not gpuType)`,
	}
	m.strAlias("gpuTypeId", []string{"gpu_type_id", "gpu_type"}, &c.GPUTypeID)
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
	setPtr(&r.VolumeSizeGB, 50)
	setStr(&r.VolumeMountPath, "/workspace")
	setStr(&r.CloudType, "COMMUNITY")
	setPtr(&r.SpotBid, 0)
	setPtr(&r.StartSSH, true)
	setPtr(&r.CPUOnly, false)
}

func runpodRules(d *decoder, c *Config) {
	if rp := c.Providers.RunPod; rp != nil && rp.GPUTypeID != "" && !c.GPUEnabled() {
		d.warnf(d.present["providers.runpod.gpuTypeId"], "providers.runpod.gpuTypeId", "set deployment.resources.gpu.enabled: true for a GPU pod",
			"gpuTypeId is ignored: without deployment.resources.gpu.enabled a CPU pod is created")
	}
}
