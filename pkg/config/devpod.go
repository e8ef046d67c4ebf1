package config

import (
	"regexp"
	"strings"
)

// ProviderDevPod deploys with the DevPod CLI (contract §3.3).
const ProviderDevPod ProviderName = "devpod"

var devpodSchema = providerSchema{
	name:      ProviderDevPod,
	block:     "devpod",
	resources: resourceDefaults{memory: "4GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("devpod", nil, func(s *mapView) { p.DevPod = d.devpod(s) })
		m.obj("k8s", nil, func(s *mapView) { p.K8s = d.k8s(s) })
	},
	defaults: devpodDefaults,
}

// DevPodConfig is providers.devpod. Unlike upstream, which passed none of them to DevPod, the
// per-backend sub-blocks become the options of DevPod's provider (pkg/providers/devpod).
type DevPodConfig struct {
	Type            string              `yaml:"type" json:"type"`
	BuildRepository string              `yaml:"buildRepository,omitempty" json:"buildRepository,omitempty"`
	AWS             *DevPodAWS          `yaml:"aws,omitempty" json:"aws,omitempty"`
	GCP             *DevPodGCP          `yaml:"gcp,omitempty" json:"gcp,omitempty"`
	Azure           *DevPodAzure        `yaml:"azure,omitempty" json:"azure,omitempty"`
	DigitalOcean    *DevPodDigitalOcean `yaml:"digitalocean,omitempty" json:"digitalocean,omitempty"`
	Kubernetes      *DevPodKubernetes   `yaml:"kubernetes,omitempty" json:"kubernetes,omitempty"`
	SSH             *DevPodSSH          `yaml:"ssh,omitempty" json:"ssh,omitempty"`
	Docker          *DevPodDocker       `yaml:"docker,omitempty" json:"docker,omitempty"`
}

// DevPodAWS is providers.devpod.aws.
type DevPodAWS struct {
	Region          string `yaml:"region,omitempty" json:"region,omitempty"`
	InstanceType    string `yaml:"instanceType,omitempty" json:"instanceType,omitempty"`
	DiskSize        *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
	UseSpot         *bool  `yaml:"useSpot,omitempty" json:"useSpot,omitempty"`
	SubnetID        string `yaml:"subnetId,omitempty" json:"subnetId,omitempty"`
	SecurityGroupID string `yaml:"securityGroupId,omitempty" json:"securityGroupId,omitempty"`
}

// DevPodGCP is providers.devpod.gcp.
type DevPodGCP struct {
	Project     string `yaml:"project,omitempty" json:"project,omitempty"`
	Zone        string `yaml:"zone,omitempty" json:"zone,omitempty"`
	MachineType string `yaml:"machineType,omitempty" json:"machineType,omitempty"`
	DiskSize    *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
	DiskType    string `yaml:"diskType,omitempty" json:"diskType,omitempty"`
}

// DevPodAzure is providers.devpod.azure.
type DevPodAzure struct {
	Subscription  string `yaml:"subscription,omitempty" json:"subscription,omitempty"`
	ResourceGroup string `yaml:"resourceGroup,omitempty" json:"resourceGroup,omitempty"`
	Location      string `yaml:"location,omitempty" json:"location,omitempty"`
	VMSize        string `yaml:"vmSize,omitempty" json:"vmSize,omitempty"`
	DiskSize      *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
}

// DevPodDigitalOcean is providers.devpod.digitalocean.
type DevPodDigitalOcean struct {
	Region   string `yaml:"region,omitempty" json:"region,omitempty"`
	Size     string `yaml:"size,omitempty" json:"size,omitempty"`
	DiskSize *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
}

// DevPodKubernetes is providers.devpod.kubernetes.
type DevPodKubernetes struct {
	Namespace    string            `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	StorageClass string            `yaml:"storageClass,omitempty" json:"storageClass,omitempty"`
	Context      string            `yaml:"context,omitempty" json:"context,omitempty"`
	NodeSelector map[string]string `yaml:"nodeSelector,omitempty" json:"nodeSelector,omitempty"`
}

// DevPodSSH is providers.devpod.ssh.
type DevPodSSH struct {
	Host    string `yaml:"host,omitempty" json:"host,omitempty"`
	User    string `yaml:"user,omitempty" json:"user,omitempty"`
	Port    *int   `yaml:"port,omitempty" json:"port,omitempty"`
	KeyPath string `yaml:"keyPath,omitempty" json:"keyPath,omitempty"`
}

// DevPodDocker is providers.devpod.docker.
type DevPodDocker struct {
	DockerHost string `yaml:"dockerHost,omitempty" json:"dockerHost,omitempty"`
}

// K8sClusterConfig is providers.k8s (local kind/k3d cluster description; unused by deploy).
type K8sClusterConfig struct {
	Provider    string    `yaml:"provider,omitempty" json:"provider,omitempty"`
	ClusterName string    `yaml:"clusterName,omitempty" json:"clusterName,omitempty"`
	Version     string    `yaml:"version,omitempty" json:"version,omitempty"`
	Nodes       *int      `yaml:"nodes,omitempty" json:"nodes,omitempty"`
	Kind        *KindOpts `yaml:"kind,omitempty" json:"kind,omitempty"`
	K3d         *K3dOpts  `yaml:"k3d,omitempty" json:"k3d,omitempty"`
}

// KindOpts is providers.k8s.kind.
type KindOpts struct {
	Image      string `yaml:"image,omitempty" json:"image,omitempty"`
	ConfigFile string `yaml:"configFile,omitempty" json:"configFile,omitempty"`
}

// K3dOpts is providers.k8s.k3d.
type K3dOpts struct {
	Image    string       `yaml:"image,omitempty" json:"image,omitempty"`
	Registry *K3dRegistry `yaml:"registry,omitempty" json:"registry,omitempty"`
}

// K3dRegistry is providers.k8s.k3d.registry.
type K3dRegistry struct {
	Enabled bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Name    string `yaml:"name,omitempty" json:"name,omitempty"`
	Port    *int   `yaml:"port,omitempty" json:"port,omitempty"`
}

// k8sVersionRE is the upstream schema's pattern for providers.k8s.version.
var k8sVersionRE = regexp.MustCompile(`^v?\d+\.\d+\.\d+$`)

var devpodTypes = []string{"aws", "gcp", "azure", "digitalocean", "kubernetes", "ssh", "docker"}

func (d *decoder) devpod(m *mapView) *DevPodConfig {
	c := &DevPodConfig{}
	m.required("type", "valid: "+strings.Join(devpodTypes, ", "))
	m.str("type", &c.Type, enum("devpod type", devpodTypes...))
	m.str("buildRepository", &c.BuildRepository)
	m.obj("aws", nil, func(s *mapView) {
		a := &DevPodAWS{}
		c.AWS = a
		s.str("region", &a.Region)
		s.str("instanceType", &a.InstanceType)
		s.intp("diskSize", nil, &a.DiskSize, 0, noMax)
		s.boolp("useSpot", nil, &a.UseSpot)
		s.str("subnetId", &a.SubnetID)
		s.str("securityGroupId", &a.SecurityGroupID)
	})
	m.obj("gcp", nil, func(s *mapView) {
		g := &DevPodGCP{}
		c.GCP = g
		s.str("project", &g.Project)
		s.str("zone", &g.Zone)
		s.str("machineType", &g.MachineType)
		s.intp("diskSize", nil, &g.DiskSize, 0, noMax)
		s.str("diskType", &g.DiskType, enum("disk type", "pd-standard", "pd-balanced", "pd-ssd"))
	})
	m.obj("azure", nil, func(s *mapView) {
		a := &DevPodAzure{}
		c.Azure = a
		s.str("subscription", &a.Subscription)
		s.str("resourceGroup", &a.ResourceGroup)
		s.str("location", &a.Location)
		s.str("vmSize", &a.VMSize)
		s.intp("diskSize", nil, &a.DiskSize, 0, noMax)
	})
	m.obj("digitalocean", nil, func(s *mapView) {
		o := &DevPodDigitalOcean{}
		c.DigitalOcean = o
		s.str("region", &o.Region)
		s.str("size", &o.Size)
		s.intp("diskSize", nil, &o.DiskSize, 0, noMax)
	})
	m.obj("kubernetes", nil, func(s *mapView) {
		k := &DevPodKubernetes{}
		c.Kubernetes = k
		s.str("namespace", &k.Namespace)
		s.str("storageClass", &k.StorageClass)
		s.str("context", &k.Context)
		s.strMap("nodeSelector", &k.NodeSelector)
	})
	m.obj("ssh", nil, func(s *mapView) {
		h := &DevPodSSH{}
		c.SSH = h
		s.str("host", &h.Host)
		s.str("user", &h.User)
		s.intp("port", nil, &h.Port, 1, 65535)
		s.str("keyPath", &h.KeyPath)
	})
	m.obj("docker", nil, func(s *mapView) {
		c.Docker = &DevPodDocker{}
		s.str("dockerHost", &c.Docker.DockerHost)
	})
	return c
}

func (d *decoder) k8s(m *mapView) *K8sClusterConfig {
	c := &K8sClusterConfig{}
	m.str("provider", &c.Provider, enum("local cluster provider", "kind", "k3d"))
	m.str("clusterName", &c.ClusterName, pattern(nameRE, "a valid cluster name"))
	m.str("version", &c.Version, pattern(k8sVersionRE, "a Kubernetes version like v1.35.0"))
	m.intp("nodes", nil, &c.Nodes, 1, 10)
	m.obj("kind", nil, func(s *mapView) {
		c.Kind = &KindOpts{}
		s.str("image", &c.Kind.Image)
		s.str("configFile", &c.Kind.ConfigFile)
	})
	m.obj("k3d", nil, func(s *mapView) {
		c.K3d = &K3dOpts{}
		s.str("image", &c.K3d.Image)
		s.obj("registry", nil, func(r *mapView) {
			reg := &K3dRegistry{}
			c.K3d.Registry = reg
			r.boolean("enabled", &reg.Enabled)
			r.str("name", &reg.Name)
			r.intp("port", nil, &reg.Port, 1, 65535)
		})
	})
	return c
}

func devpodDefaults(c *Config) {
	p := &c.Providers
	if p.DevPod == nil {
		p.DevPod = &DevPodConfig{Type: "docker"}
	}
	dp := p.DevPod
	if dp.Type == "kubernetes" && dp.Kubernetes == nil {
		dp.Kubernetes = &DevPodKubernetes{}
	}
	if dp.Kubernetes != nil {
		setStr(&dp.Kubernetes.Namespace, "devpod")
	}
}

// k8sClusterRules warns, whatever the provider, that providers.k8s is not read: it describes
// a local cluster to create, not a place to deploy to.
func (d *decoder) k8sClusterRules() {
	if k, ok := d.present["providers.k8s"]; ok {
		d.warnf(k, "providers.k8s", "create the cluster yourself; deploy with provider kubernetes, or devpod with type kubernetes",
			"providers.k8s describes a local kind/k3d cluster and is not read when deploying")
	}
}
