package config

import "regexp"

// ProviderKubernetes deploys to a Kubernetes cluster (contract §3.5).
const ProviderKubernetes ProviderName = "kubernetes"

var kubernetesSchema = providerSchema{
	name:       ProviderKubernetes,
	block:      "kubernetes",
	resources:  resourceDefaults{memory: "4GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	needsImage: true,
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("kubernetes", nil, func(s *mapView) { p.Kubernetes = d.kubernetes(s) })
	},
	defaults: kubernetesDefaults,
}

// KubernetesConfig is providers.kubernetes. Upstream reads only namespace and storageClass
// (and renders neither, contract §3.5); context, ingress.className and gpuNodeSelector are
// ours. Cluster credentials are never part of the config: the kubeconfig comes from the
// executor (its provider "kubernetes" block or KUBECONFIG) or the job credential
// KUBECONFIG_DATA, and registry credentials from the DOCKER_USERNAME/DOCKER_PASSWORD
// credentials (docs/providers/kubernetes.md).
type KubernetesConfig struct {
	// Namespace is a DNS-1123 label (default "default").
	Namespace    string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	StorageClass string `yaml:"storageClass,omitempty" json:"storageClass,omitempty"`
	// Context names a context of the executor's kubeconfig; an executor that pins a context
	// refuses any other.
	Context string         `yaml:"context,omitempty" json:"context,omitempty"`
	Ingress *IngressConfig `yaml:"ingress,omitempty" json:"ingress,omitempty"`
	// GPUNodeSelector is added to the pod's nodeSelector when a GPU is enabled (for example
	// nvidia.com/gpu.present: "true"); requesting nvidia.com/gpu already restricts scheduling
	// to GPU nodes.
	GPUNodeSelector map[string]string `yaml:"gpuNodeSelector,omitempty" json:"gpuNodeSelector,omitempty"`
}

// IngressConfig is providers.kubernetes.ingress.
type IngressConfig struct {
	Enabled  bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Hostname string `yaml:"hostname,omitempty" json:"hostname,omitempty"`
	// ClassName is the Ingress's ingressClassName (empty: the cluster's default class).
	ClassName string `yaml:"className,omitempty" json:"className,omitempty"`
	// Port is the container port the Ingress routes to (default 8080), through the
	// Service's http port 80.
	Port *int `yaml:"port,omitempty" json:"port,omitempty"`
}

// dns1123Label is a Kubernetes namespace (and label-like name): at most 63 characters.
var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// dns1123Subdomain is a host name or a class name.
var dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func (d *decoder) kubernetes(m *mapView) *KubernetesConfig {
	c := &KubernetesConfig{}
	m.str("namespace", &c.Namespace, pattern(dns1123Label, "a Kubernetes namespace (lowercase letters, digits and inner dashes)"), maxLen(63))
	m.str("storageClass", &c.StorageClass, pattern(dns1123Subdomain, "a storage class name"), maxLen(253))
	m.str("context", &c.Context)
	m.obj("ingress", nil, func(s *mapView) {
		c.Ingress = &IngressConfig{}
		s.boolean("enabled", &c.Ingress.Enabled)
		s.str("hostname", &c.Ingress.Hostname, pattern(dns1123Subdomain, "a host name"), maxLen(253))
		s.str("className", &c.Ingress.ClassName, pattern(dns1123Subdomain, "an ingress class name"), maxLen(253))
		s.intp("port", nil, &c.Ingress.Port, 1, 65535)
	})
	m.strMap("gpuNodeSelector", &c.GPUNodeSelector)
	return c
}

func kubernetesDefaults(c *Config) {
	setStr(&ensure(&c.Providers.Kubernetes).Namespace, "default")
}

// KubernetesDefaults returns a copy of k (nil: an empty block) with the kubernetes defaults
// applied to its empty fields: Load applies them already; this serves configs built by hand.
func KubernetesDefaults(k *KubernetesConfig) KubernetesConfig {
	var c KubernetesConfig
	if k != nil {
		c = *k
	}
	setStr(&c.Namespace, "default")
	return c
}
