package config

// ProviderKubernetes deploys to a Kubernetes cluster (contract §3.5).
const ProviderKubernetes ProviderName = "kubernetes"

var kubernetesSchema = providerSchema{
	name:       ProviderKubernetes,
	block:      "kubernetes",
	resources:  resourceDefaults{memory: "4GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	needsImage: true,
	unused:     []string{"providers.kubernetes.ingress"},
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("kubernetes", nil, func(s *mapView) { p.Kubernetes = d.kubernetes(s) })
	},
	defaults: kubernetesDefaults,
}

// KubernetesConfig is providers.kubernetes.
type KubernetesConfig struct {
	Namespace    string         `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	StorageClass string         `yaml:"storageClass,omitempty" json:"storageClass,omitempty"`
	Ingress      *IngressConfig `yaml:"ingress,omitempty" json:"ingress,omitempty"`
}

// IngressConfig is providers.kubernetes.ingress.
type IngressConfig struct {
	Enabled  bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Hostname string `yaml:"hostname,omitempty" json:"hostname,omitempty"`
}

func (d *decoder) kubernetes(m *mapView) *KubernetesConfig {
	c := &KubernetesConfig{}
	m.str("namespace", &c.Namespace)
	m.str("storageClass", &c.StorageClass)
	m.obj("ingress", nil, func(s *mapView) {
		c.Ingress = &IngressConfig{}
		s.boolean("enabled", &c.Ingress.Enabled)
		s.str("hostname", &c.Ingress.Hostname)
	})
	return c
}

func kubernetesDefaults(c *Config) {
	setStr(&ensure(&c.Providers.Kubernetes).Namespace, "default")
}
