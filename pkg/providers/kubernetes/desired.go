package kubernetes

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

	"github.com/distribution/reference"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// volatileLabels change from job to job without changing what the environment is: they go on
// the Deployment's annotations when it is applied, never on the pod template, and are not
// hashed (a new job id must not roll the pod).
var volatileLabels = map[string]bool{
	providers.LabelJobID:      true,
	providers.LabelGeneration: true,
	providers.LabelExpiresAt:  true,
}

// gpuResources maps deployment.resources.gpu.type to the device plugin's resource name,
// which is also the taint key GPU nodes carry.
var gpuResources = map[string]string{"": "nvidia.com/gpu", "nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu"}

// desired is the typed desired state of one environment, every default applied once. The
// exported fields feed the config hash; secret values are unexported and never serialised.
type desired struct {
	Env       string `json:"env"`
	Namespace string `json:"namespace"`
	Image     string `json:"image"`
	// PullPolicy is IfNotPresent unless the config asks otherwise (the API would default
	// Always for :latest and untagged images).
	PullPolicy   string            `json:"pull_policy"`
	Memory       string            `json:"memory"` // a Kubernetes quantity: 4GB → 4Gi
	CPU          string            `json:"cpu"`
	GPU          int               `json:"gpu,omitempty"`
	GPUResource  string            `json:"gpu_resource,omitempty"`
	NodeSelector map[string]string `json:"node_selector,omitempty"`
	// GPUProducts are the nvidia.com/gpu.product values a GPU model tier allows (the pod's
	// node affinity); empty for a generic tier: any GPU node.
	GPUProducts  []string          `json:"gpu_products,omitempty"`
	VolumeSize   string            `json:"volume_size"`
	StorageClass string            `json:"storage_class,omitempty"`
	Environment  map[string]string `json:"environment"`
	SecretNames  []string          `json:"secret_names,omitempty"`
	Files        []secretFile      `json:"files,omitempty"`
	PullSecret   string            `json:"pull_secret,omitempty"` // registry host
	Ingress      *ingress          `json:"ingress,omitempty"`
	// Labels are the spec's labels a Kubernetes label can hold; Annotations the others
	// (sindri.dev/repo's "owner/name"), both without the volatile ones.
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`

	volatile map[string]string // volatile labels, for the Deployment's annotations
	secrets  map[string]string // env secret name -> value
	files    map[string]string // file secret key -> content
	pullJSON []byte            // .dockerconfigjson
	redact   []string          // every secret and credential value, for log lines
	warnings []string
}

// secretFile is a file secret: Key in the files Secret, mounted at Path with Mode.
type secretFile struct {
	Key  string `json:"key"`
	Path string `json:"path"`
	Mode int32  `json:"mode"`
}

// ingress is the Ingress's desired state.
type ingress struct {
	Host  string `json:"host,omitempty"`
	Class string `json:"class,omitempty"`
	Port  int32  `json:"port"`
}

// defaultIngressPort is the container port an Ingress routes to when the config names none.
const defaultIngressPort = 8080

// resolve turns a Spec into the desired state. Errors wrap providers.ErrInvalidSpec and name
// the sindri.yaml field.
func resolve(s *providers.Spec) (*desired, error) {
	if err := specEnv(s); err != nil {
		return nil, err
	}
	if s.Config == nil {
		return nil, fmt.Errorf("kubernetes: %w: Plan and Deploy need the config", providers.ErrInvalidSpec)
	}
	if s.Image == "" {
		return nil, fmt.Errorf("kubernetes: %w: no image resolved for environment %s; name deployment.image or image_config (the cluster pulls a prebuilt image)", providers.ErrInvalidSpec, s.Env)
	}
	if _, err := reference.ParseNormalizedNamed(s.Image); err != nil {
		return nil, fmt.Errorf("kubernetes: image %q: %w: %v", s.Image, providers.ErrInvalidSpec, err)
	}
	c := s.Config
	kc := config.KubernetesDefaults(c.Providers.Kubernetes)
	if !validLabel(kc.Namespace) {
		return nil, fmt.Errorf("kubernetes: providers.kubernetes.namespace %q: %w: a namespace is 1 to 63 lowercase letters, digits and inner dashes", kc.Namespace, providers.ErrInvalidSpec)
	}
	d := &desired{
		Env:          s.Env,
		Namespace:    kc.Namespace,
		Image:        s.Image,
		PullPolicy:   "IfNotPresent",
		StorageClass: kc.StorageClass,
		Environment:  c.ContainerEnv(),
		Labels:       map[string]string{},
		volatile:     map[string]string{},
	}
	if ic := c.Deployment.ImageConfig; ic != nil && ic.PullPolicy != "" {
		if !slices.Contains([]string{"Always", "IfNotPresent", "Never"}, ic.PullPolicy) {
			return nil, fmt.Errorf("kubernetes: deployment.image_config.pull_policy %q: %w: use Always, IfNotPresent or Never", ic.PullPolicy, providers.ErrInvalidSpec)
		}
		d.PullPolicy = ic.PullPolicy
	}
	if err := d.resolveResources(c, kc); err != nil {
		return nil, err
	}
	if err := d.resolveSecrets(s.Secrets); err != nil {
		return nil, err
	}
	if err := d.resolvePullSecret(s); err != nil {
		return nil, err
	}
	if ing := kc.Ingress; ing != nil && ing.Enabled {
		d.Ingress = &ingress{Host: ing.Hostname, Class: ing.ClassName, Port: defaultIngressPort}
		if ing.Port != nil {
			d.Ingress.Port = int32(*ing.Port)
		}
	}
	d.resolveLabels(s.Labels)
	for _, sv := range s.Credentials {
		if sv.Value != nil {
			d.redact = append(d.redact, sv.Value.Reveal())
		}
	}
	return d, nil
}

// resolveResources turns memory, CPUs, GPU and the workspace size into Kubernetes quantities.
// Sindri's sizes are binary (4GB is 4096 MB, contract §1.8), so 4GB is sent as 4Gi: "4GB" is
// not a Kubernetes quantity at all.
func (d *desired) resolveResources(c *config.Config, kc config.KubernetesConfig) error {
	res := c.Deployment.Resources
	defMem, defCPU := config.ResourceDefaults(config.ProviderKubernetes)
	if res.Memory == "" {
		res.Memory = defMem
	}
	mem, err := quantity(res.Memory)
	if err != nil {
		return fmt.Errorf("kubernetes: deployment.resources.memory: %w", err)
	}
	d.Memory = mem
	cpus := res.CPUCount()
	if cpus == 0 {
		cpus = defCPU
	}
	d.CPU = strconv.Itoa(cpus)
	d.VolumeSize = "10Gi"
	if ws := c.Deployment.Volumes.Workspace; ws != nil && ws.Size != "" {
		if d.VolumeSize, err = quantity(ws.Size); err != nil {
			return fmt.Errorf("kubernetes: deployment.volumes.workspace.size: %w", err)
		}
	}
	if n := c.GPUCount(); n > 0 {
		typ := c.Deployment.Resources.GPU.Type
		r, ok := gpuResources[typ]
		if !ok {
			return fmt.Errorf("kubernetes: deployment.resources.gpu.type %q: %w: use nvidia or amd", typ, providers.ErrInvalidSpec)
		}
		d.GPU, d.GPUResource = n, r
		d.NodeSelector = maps.Clone(kc.GPUNodeSelector)
		ch := c.KubernetesGPU()
		switch {
		case ch.Err != "":
			return fmt.Errorf("kubernetes: deployment.resources.gpu.tier: %w: %s", providers.ErrInvalidSpec, ch.Err)
		case ch.Model != "":
			d.GPUProducts = slices.Clone(ch.Products)
		case c.Deployment.Resources.GPU.Tier != "":
			d.warnings = append(d.warnings, fmt.Sprintf("deployment.resources.gpu.tier %q is a size, not a GPU model: any GPU node serves (name a model such as l4 or a100, or choose nodes with providers.kubernetes.gpuNodeSelector)", c.Deployment.Resources.GPU.Tier))
		}
	}
	return nil
}

// quantity converts a Sindri size ("4GB", "512MB", "4Gi") into a Kubernetes quantity in whole
// Gi or Mi. Errors wrap providers.ErrInvalidSpec and say what is accepted.
func quantity(size string) (string, error) {
	b, err := config.ParseSize(size)
	if err != nil {
		return "", fmt.Errorf("%w: %v (Kubernetes gets it as Gi or Mi: 4GB is sent as 4Gi)", providers.ErrInvalidSpec, err)
	}
	if b%config.GiB == 0 {
		return strconv.FormatInt(b/config.GiB, 10) + "Gi", nil
	}
	return strconv.FormatInt((b+config.MiB-1)/config.MiB, 10) + "Mi", nil
}

// resolveSecrets puts env secrets in the Secret read through envFrom and file secrets in the
// files Secret mounted at their paths.
func (d *desired) resolveSecrets(secrets []providers.SecretValue) error {
	d.secrets, d.files = map[string]string{}, map[string]string{}
	for _, s := range secrets {
		if s.Value == nil {
			return fmt.Errorf("kubernetes: secret %s: %w: no value", s.Name, providers.ErrInvalidSpec)
		}
		v := s.Value.Reveal()
		d.redact = append(d.redact, v)
		if s.MountPath == "" {
			if _, plain := d.Environment[s.Name]; plain {
				return fmt.Errorf("kubernetes: secret %s: %w: the name is a variable the environment sets itself", s.Name, providers.ErrInvalidSpec)
			}
			d.secrets[s.Name] = v
			d.SecretNames = append(d.SecretNames, s.Name)
			continue
		}
		mode, err := s.FileMode()
		if err != nil {
			return fmt.Errorf("kubernetes: %w", err)
		}
		key := "file-" + strings.ToLower(s.Name)
		d.files[key] = v
		d.Files = append(d.Files, secretFile{Key: key, Path: s.MountPath, Mode: int32(mode)})
	}
	slices.Sort(d.SecretNames)
	slices.SortFunc(d.Files, func(a, b secretFile) int { return strings.Compare(a.Key, b.Key) })
	return nil
}

// resolvePullSecret builds the image pull secret from explicit registry credentials:
// DOCKER_USERNAME and DOCKER_PASSWORD (job credentials), for the image's registry, or only
// for DOCKER_REGISTRY when set. Never from a docker config file, whose credential helpers
// leave no usable auth.
func (d *desired) resolvePullSecret(s *providers.Spec) error {
	user, pass := s.Credential(credDockerUsername), s.Credential(credDockerPassword)
	switch {
	case user == "" && pass == "":
		return nil
	case user == "" || pass == "":
		d.warnings = append(d.warnings, fmt.Sprintf("only one of %s and %s is set: no image pull secret is made", credDockerUsername, credDockerPassword))
		return nil
	}
	named, _ := reference.ParseNormalizedNamed(d.Image) // checked by resolve
	host := reference.Domain(named)
	if reg := s.Credential(credDockerRegistry); reg != "" && registryHost(reg) != host {
		d.warnings = append(d.warnings, fmt.Sprintf("%s names another registry than the image's (%s): no image pull secret is made", credDockerRegistry, host))
		return nil
	}
	server := host
	if host == "docker.io" {
		server = "https://index.docker.io/v1/"
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	b, err := json.Marshal(map[string]any{"auths": map[string]any{server: map[string]string{"username": user, "password": pass, "auth": auth}}})
	if err != nil {
		return fmt.Errorf("kubernetes: pull secret: %w", err)
	}
	d.PullSecret, d.pullJSON = host, b
	d.redact = append(d.redact, pass, auth)
	return nil
}

// registryHost reduces a DOCKER_REGISTRY value ("https://ghcr.io/org") to its host.
func registryHost(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return strings.ToLower(s)
}

// resolveLabels sorts the spec's labels into labels, annotations and volatile ones.
func (d *desired) resolveLabels(labels map[string]string) {
	for k, v := range labels {
		switch {
		case volatileLabels[k]:
			d.volatile[k] = v
		case validLabelValue(v):
			d.Labels[k] = v
		default:
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations[k] = v
		}
	}
	d.Labels[providers.LabelEnv] = d.Env
	d.Labels[providers.LabelManagedBy] = providers.ManagedByValue
	d.Labels[labelApp] = appValue
	d.Labels[labelInstance] = d.Env
}

// selector is the Deployment's selector: fixed at create, since it is immutable.
func selector(env string) map[string]string {
	return map[string]string{labelApp: appValue, labelInstance: env}
}

// ownLabels select everything this provider made for env.
func ownLabels(env string) string {
	return providers.LabelEnv + "=" + env + "," + providers.LabelManagedBy + "=" + providers.ManagedByValue
}

// hash is the config hash: everything Deploy applies but secret values and volatile labels.
func (d *desired) hash() string { return hashOf(d, d.secretsHash()) }

// podHash identifies the pod template: a change of it (image, resources, environment, secret
// values) rolls the pod; a change of labels or annotations on the objects does not.
func (d *desired) podHash() string {
	return hashOf(struct {
		Image, PullPolicy, Memory, CPU, GPUResource, PullSecret string
		GPU                                                     int
		GPUProducts                                             []string `json:",omitempty"`
		NodeSelector, Environment                               map[string]string
		SecretNames                                             []string
		Files                                                   []secretFile
		IngressPort                                             int32
	}{d.Image, d.PullPolicy, d.Memory, d.CPU, d.GPUResource, d.PullSecret, d.GPU, d.GPUProducts, d.NodeSelector, d.Environment, d.SecretNames, d.Files, d.ingressPort()}, d.secretsHash())
}

func (d *desired) ingressPort() int32 {
	if d.Ingress == nil {
		return 0
	}
	return d.Ingress.Port
}

func hashOf(v any, salt string) string {
	b, _ := json.Marshal(v) // plain data
	sum := sha256.Sum256(append(b, salt...))
	return hex.EncodeToString(sum[:8])
}

// secretsHash identifies the secret values, keyed with the env name so that equal values in
// two environments do not show as equal.
func (d *desired) secretsHash() string {
	h := sha256.New()
	h.Write([]byte(d.Env))
	for _, m := range []map[string]string{d.secrets, d.files} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			h.Write([]byte{0})
			h.Write([]byte(k))
			h.Write([]byte{0})
			h.Write([]byte(m[k]))
		}
	}
	h.Write(d.pullJSON)
	return hex.EncodeToString(h.Sum(nil)[:16])
}
