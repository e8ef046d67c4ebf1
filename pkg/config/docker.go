package config

// Provider names of the Docker provider (contract §3.1).
const (
	ProviderDocker        ProviderName = "docker"
	ProviderDockerCompose ProviderName = "docker-compose" // normalises to docker
)

// Docker provider defaults (contract §1.6 providers.docker), also read by the Docker provider
// for configs built by hand.
const (
	DockerNetwork         = "bridge"
	DockerRestart         = "unless-stopped"
	DockerRuntime         = "auto"
	DockerDinDMode        = "auto"
	DockerDinDDriver      = "auto"
	DockerDinDStorageSize = "20GB"
)

var dockerSchema = providerSchema{
	name:       ProviderDocker,
	aliases:    []ProviderName{ProviderDockerCompose},
	block:      "docker",
	blockAlias: "docker-compose",
	resources:  resourceDefaults{memory: "4GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	needsImage: true,
	decode:     decodeDockerBlocks,
	defaults:   dockerDefaults,
}

// DockerConfig is providers.docker.
type DockerConfig struct {
	Network    string      `yaml:"network,omitempty" json:"network,omitempty"`
	Restart    string      `yaml:"restart,omitempty" json:"restart,omitempty"`
	Ports      []string    `yaml:"ports,omitempty" json:"ports,omitempty"`
	Privileged bool        `yaml:"privileged,omitempty" json:"privileged,omitempty"`
	ExtraHosts []string    `yaml:"extraHosts,omitempty" json:"extraHosts,omitempty"`
	Runtime    string      `yaml:"runtime,omitempty" json:"runtime,omitempty"`
	DinD       *DinDConfig `yaml:"dind,omitempty" json:"dind,omitempty"`
}

// DinDConfig is providers.docker.dind.
type DinDConfig struct {
	Enabled       bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Mode          string `yaml:"mode,omitempty" json:"mode,omitempty"`
	StorageDriver string `yaml:"storageDriver,omitempty" json:"storageDriver,omitempty"`
	StorageSize   string `yaml:"storageSize,omitempty" json:"storageSize,omitempty"`
}

// decodeDockerBlocks reads providers.docker, and providers.docker-compose (its Sindri V2
// name) when only that one is set.
func decodeDockerBlocks(d *decoder, m *mapView, p *Providers) {
	m.obj("docker", nil, func(s *mapView) { p.Docker = d.docker(s) })
	if k, v, path, ok := m.get("docker-compose"); ok {
		if p.Docker != nil || m.has("docker") {
			d.errorf(k, path, "merge its settings into providers.docker and delete providers.docker-compose",
				"providers.docker-compose (Sindri V2 spelling) and providers.docker are both set")
		} else if s := d.mapping(v, path); s != nil {
			d.warnf(k, path, "rename it to providers.docker",
				"providers.docker-compose is the Sindri V2 name of providers.docker; read as providers.docker (upstream V3 drops it, losing its port mappings)")
			p.Docker = d.docker(s)
			s.finish()
		}
	}
}

func (d *decoder) docker(m *mapView) *DockerConfig {
	c := &DockerConfig{}
	m.str("network", &c.Network, enum("network mode", "bridge", "host", "none"))
	m.str("restart", &c.Restart, enum("restart policy", "no", "always", "on-failure", "unless-stopped"))
	d.dockerPorts(m, &c.Ports)
	m.boolean("privileged", &c.Privileged)
	m.strList("extraHosts", nil, &c.ExtraHosts)
	m.str("runtime", &c.Runtime, enum("runtime", "runc", "sysbox-runc", "auto"))
	m.obj("dind", nil, func(s *mapView) {
		dd := &DinDConfig{}
		c.DinD = dd
		s.boolean("enabled", &dd.Enabled)
		s.str("mode", &dd.Mode, enum("dind mode", "sysbox", "privileged", "socket", "auto"))
		s.str("storageDriver", &dd.StorageDriver, enum("storage driver", "auto", "overlay2", "fuse-overlayfs", "vfs"))
		s.str("storageSize", &dd.StorageSize, sizeCheck(false))
	})
	return c
}

func dockerDefaults(c *Config) {
	dc := ensure(&c.Providers.Docker)
	setStr(&dc.Network, DockerNetwork)
	setStr(&dc.Restart, DockerRestart)
	setStr(&dc.Runtime, DockerRuntime)
	dind := ensure(&dc.DinD)
	setStr(&dind.Mode, DockerDinDMode)
	setStr(&dind.StorageDriver, DockerDinDDriver)
	setStr(&dind.StorageSize, DockerDinDStorageSize)
}
