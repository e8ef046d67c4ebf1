package config

import "regexp"

// ProviderNorthflank deploys to Northflank services (contract §3.7).
const ProviderNorthflank ProviderName = "northflank"

// nfPlanRE is the upstream schema's pattern for computePlan.
var nfPlanRE = regexp.MustCompile(`^nf-compute-\d+(-\d+)?$`)

var northflankSchema = providerSchema{
	name:          ProviderNorthflank,
	block:         "northflank",
	resources:     resourceDefaults{memory: "2GB", cpus: 2, workspaceSize: "10GB", workspacePath: "/workspace"},
	needsImage:    true,
	zeroWorkspace: true,
	unused:        []string{"providers.northflank.volumeSizeGb", "providers.northflank.volumeMountPath"},
	unusedHints: map[string]string{
		"providers.northflank.volumeSizeGb":    "the volume size comes from deployment.volumes.workspace.size",
		"providers.northflank.volumeMountPath": "the mount path comes from deployment.volumes.workspace.path",
	},
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("northflank", nil, func(s *mapView) { p.Northflank = d.northflank(s) })
	},
	defaults: northflankDefaults,
	rules:    northflankRules,
}

// NorthflankConfig is providers.northflank. snake_case aliases are accepted by the loader.
type NorthflankConfig struct {
	// ProjectName is a project the user owns, shared by the environments (never deleted);
	// empty means a project per environment.
	ProjectName string `yaml:"projectName,omitempty" json:"projectName,omitempty"`
	// ServiceName prefixes each environment's service name; empty means the env name alone.
	ServiceName         string                 `yaml:"serviceName,omitempty" json:"serviceName,omitempty"`
	ComputePlan         string                 `yaml:"computePlan,omitempty" json:"computePlan,omitempty"`
	GPUType             string                 `yaml:"gpuType,omitempty" json:"gpuType,omitempty"`
	GPUCount            *int                   `yaml:"gpuCount,omitempty" json:"gpuCount,omitempty"`
	Instances           *int                   `yaml:"instances,omitempty" json:"instances,omitempty"`
	VolumeSizeGB        *int                   `yaml:"volumeSizeGb,omitempty" json:"volumeSizeGb,omitempty"`
	VolumeMountPath     string                 `yaml:"volumeMountPath,omitempty" json:"volumeMountPath,omitempty"`
	Region              string                 `yaml:"region,omitempty" json:"region,omitempty"`
	RegistryCredentials string                 `yaml:"registryCredentials,omitempty" json:"registryCredentials,omitempty"`
	Ports               []NorthflankPort       `yaml:"ports,omitempty" json:"ports,omitempty"`
	HealthCheck         *NorthflankHealth      `yaml:"healthCheck,omitempty" json:"healthCheck,omitempty"`
	AutoScaling         *NorthflankAutoScaling `yaml:"autoScaling,omitempty" json:"autoScaling,omitempty"`
}

// NorthflankPort is providers.northflank.ports[].
type NorthflankPort struct {
	Name         string `yaml:"name" json:"name"`
	InternalPort int    `yaml:"internalPort" json:"internalPort"`
	Public       bool   `yaml:"public,omitempty" json:"public,omitempty"`
	Protocol     string `yaml:"protocol,omitempty" json:"protocol,omitempty"` // HTTP, TCP, UDP
}

// NorthflankHealth is providers.northflank.healthCheck.
type NorthflankHealth struct {
	Type                string   `yaml:"type,omitempty" json:"type,omitempty"` // http, tcp, command
	Path                string   `yaml:"path,omitempty" json:"path,omitempty"`
	Port                *int     `yaml:"port,omitempty" json:"port,omitempty"`
	Command             []string `yaml:"command,omitempty" json:"command,omitempty"` // argv, as in the upstream schema
	InitialDelaySeconds *int     `yaml:"initialDelaySeconds,omitempty" json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       *int     `yaml:"periodSeconds,omitempty" json:"periodSeconds,omitempty"`
	FailureThreshold    *int     `yaml:"failureThreshold,omitempty" json:"failureThreshold,omitempty"`
}

// NorthflankAutoScaling is providers.northflank.autoScaling.
type NorthflankAutoScaling struct {
	Enabled                 bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	MinInstances            *int `yaml:"minInstances,omitempty" json:"minInstances,omitempty"`
	MaxInstances            *int `yaml:"maxInstances,omitempty" json:"maxInstances,omitempty"`
	TargetCPUUtilization    *int `yaml:"targetCpuUtilization,omitempty" json:"targetCpuUtilization,omitempty"`
	TargetMemoryUtilization *int `yaml:"targetMemoryUtilization,omitempty" json:"targetMemoryUtilization,omitempty"`
}

func (d *decoder) northflank(m *mapView) *NorthflankConfig {
	c := &NorthflankConfig{}
	m.required("projectName", "the Northflank project, e.g. projectName: my-project", "project_name")
	m.strAlias("projectName", []string{"project_name"}, &c.ProjectName, pattern(nameRE, "a valid project name"))
	m.strAlias("serviceName", []string{"service_name"}, &c.ServiceName, pattern(nameRE, "a valid service name"))
	m.strAlias("computePlan", []string{"compute_plan"}, &c.ComputePlan, pattern(nfPlanRE, "a Northflank compute plan like nf-compute-200"))
	m.strAlias("gpuType", []string{"gpu_type"}, &c.GPUType)
	m.intp("gpuCount", []string{"gpu_count"}, &c.GPUCount, 1, 8)
	m.intp("instances", nil, &c.Instances, 0, 50)
	m.intp("volumeSizeGb", []string{"volume_size_gb"}, &c.VolumeSizeGB, 0, 1500)
	m.strAlias("volumeMountPath", []string{"volume_mount_path"}, &c.VolumeMountPath)
	m.str("region", &c.Region)
	m.strAlias("registryCredentials", []string{"registry_credentials"}, &c.RegistryCredentials)
	if items, path, ok := m.seq("ports"); ok {
		for i, it := range items {
			p := idx(path, i)
			s := d.mapping(it, p)
			if s == nil {
				continue
			}
			var port NorthflankPort
			s.required("name", "e.g. name: http")
			s.str("name", &port.Name, pattern(nameRE, "a valid port name"))
			s.required("internalPort", "the container port, e.g. internalPort: 8080")
			s.integer("internalPort", &port.InternalPort, 1, 65535)
			s.boolean("public", &port.Public)
			s.str("protocol", &port.Protocol, enum("protocol", "HTTP", "TCP", "UDP"))
			s.finish()
			c.Ports = append(c.Ports, port)
		}
	}
	m.obj("healthCheck", []string{"health_check"}, func(s *mapView) {
		h := &NorthflankHealth{}
		c.HealthCheck = h
		s.special = map[string]string{"interval": `did you mean "periodSeconds"?`}
		s.str("type", &h.Type, enum("health check type", "http", "tcp", "command"))
		s.str("path", &h.Path)
		s.intp("port", nil, &h.Port, 1, 65535)
		s.strList("command", nil, &h.Command)
		s.intp("initialDelaySeconds", nil, &h.InitialDelaySeconds, 0, noMax)
		s.intp("periodSeconds", nil, &h.PeriodSeconds, 1, noMax)
		s.intp("failureThreshold", nil, &h.FailureThreshold, 1, noMax)
		switch h.Type {
		case "http":
			s.required("path", "the HTTP path to probe, e.g. /health")
			s.required("port", "the port to probe")
		case "tcp", "":
			if h.Type != "" || !s.has("type") {
				s.required("port", "the port to probe (type defaults to tcp)")
			}
		case "command":
			s.required("command", "the command to run, as a list")
		}
	})
	m.obj("autoScaling", []string{"auto_scaling"}, func(s *mapView) {
		a := &NorthflankAutoScaling{}
		c.AutoScaling = a
		s.boolean("enabled", &a.Enabled)
		s.intp("minInstances", nil, &a.MinInstances, 1, 50)
		s.intp("maxInstances", nil, &a.MaxInstances, 1, 50)
		s.intp("targetCpuUtilization", nil, &a.TargetCPUUtilization, 1, 100)
		s.intp("targetMemoryUtilization", nil, &a.TargetMemoryUtilization, 1, 100)
		if a.MinInstances != nil && a.MaxInstances != nil && *a.MinInstances > *a.MaxInstances {
			d.warnf(resolve(s.entries["minInstances"].v), join(s.path, "minInstances"), "", "minInstances (%d) is above maxInstances (%d)", *a.MinInstances, *a.MaxInstances)
		}
	})
	return c
}

// northflankDefaults leaves projectName and serviceName as written: both are per config, and
// a preview environment needs names of its own, so the provider derives them per environment
// (an empty projectName is a project per environment, made and removed by the provider; a
// serviceName is a prefix of the environment's service name). Upstream's defaults
// (sindri-<name>, <name>) would put every PR's environment into one service, and sindri- plus
// a 63-character name breaks the 39-character project limit.
func northflankDefaults(c *Config) {
	p := &c.Providers
	if p.Northflank == nil {
		p.Northflank = &NorthflankConfig{}
	}
	n := p.Northflank
	// ComputePlan stays empty when unset: the provider derives it from resources (the
	// upstream derivation is defective, contract §6.2.4, so it is the provider's call).
	setPtr(&n.GPUCount, 1)
	setPtr(&n.Instances, 1)
	setPtr(&n.VolumeSizeGB, 10)
	setStr(&n.VolumeMountPath, "/workspace")
	for i := range n.Ports {
		setStr(&n.Ports[i].Protocol, "HTTP")
	}
	if h := n.HealthCheck; h != nil {
		setStr(&h.Type, "tcp")
		setPtr(&h.InitialDelaySeconds, 10)
		setPtr(&h.PeriodSeconds, 15)
		setPtr(&h.FailureThreshold, 3)
	}
	if a := n.AutoScaling; a != nil {
		setPtr(&a.MinInstances, 1)
		setPtr(&a.MaxInstances, 3)
		setPtr(&a.TargetCPUUtilization, 70)
		setPtr(&a.TargetMemoryUtilization, 80)
	}
}
