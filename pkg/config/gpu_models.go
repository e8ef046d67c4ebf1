package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
)

// GPU model tiers on the providers that are not priced per GPU type (Kubernetes, DevPod,
// Docker). RunPod and Northflank decide theirs in runpod_gpu.go and northflank_gpu.go; every
// provider's catalogue is pkg/catalog.

// gpuModel returns deployment.resources.gpu.tier when a GPU is enabled and the tier names a
// GPU model rather than a generic size tier, else "".
func (c *Config) gpuModel() string {
	g := c.Deployment.Resources.GPU
	if !c.GPUEnabled() || g.Tier == "" || slices.Contains(gpuTierValues, g.Tier) {
		return ""
	}
	return g.Tier
}

// KubernetesGPUChoice is what a GPU model tier asks of a Kubernetes cluster.
type KubernetesGPUChoice struct {
	// Model is the tier ("" with no model tier: any GPU node).
	Model string
	// Products are the nvidia.com/gpu.product values the pod's node may carry.
	Products []string
	// Err, when set, is why the model cannot be asked for (naming what Kubernetes offers).
	Err string
}

// KubernetesGPU maps the GPU model tier to the product labels GPU feature discovery sets on
// nodes (catalog.KubernetesGPUs). A providers.kubernetes.gpuNodeSelector that pins
// nvidia.com/gpu.product to a product outside the model is a conflict.
func (c *Config) KubernetesGPU() KubernetesGPUChoice {
	model := c.gpuModel()
	if model == "" {
		return KubernetesGPUChoice{}
	}
	ch := KubernetesGPUChoice{Model: model}
	products, ok := catalog.KubernetesGPUs[model]
	if !ok {
		ch.Err = fmt.Sprintf("GPU model %q has no Kubernetes product label in sindri's catalogue (Kubernetes models: %s)",
			model, strings.Join(catalog.Models(catalog.KubernetesGPUs), ", "))
		return ch
	}
	ch.Products = products
	if k := c.Providers.Kubernetes; k != nil {
		if pinned, ok := k.GPUNodeSelector[catalog.KubernetesGPUProductLabel]; ok && !slices.Contains(products, pinned) {
			ch.Err = fmt.Sprintf("providers.kubernetes.gpuNodeSelector pins %s to %q, but deployment.resources.gpu.tier %q means %s",
				catalog.KubernetesGPUProductLabel, pinned, model, strings.Join(products, " or "))
		}
	}
	return ch
}

// DevPodGPUChoice is what a GPU model tier asks of a DevPod backend.
type DevPodGPUChoice struct {
	// Model is the tier ("" with no model tier).
	Model string
	Count int
	// Option and Value are the devpod provider option the model sets (AWS_INSTANCE_TYPE=
	// g6.xlarge, or NODE_SELECTOR's nvidia.com/gpu.product=NVIDIA-L4 on kubernetes).
	Option, Value string
	// Field is the config field that names the same thing (providers.devpod.aws.instanceType).
	Field string
	// Err, when set, is why the model cannot be had there (naming what the backend offers).
	Err string
}

// devpodInstanceFields are, per DevPod cloud backend, the config field that names the
// instance type and the devpod provider option it becomes.
var devpodInstanceFields = map[string]struct{ field, option string }{
	"aws":          {"providers.devpod.aws.instanceType", "AWS_INSTANCE_TYPE"},
	"gcp":          {"providers.devpod.gcp.machineType", "MACHINE_TYPE"},
	"azure":        {"providers.devpod.azure.vmSize", "AZURE_INSTANCE_SIZE"},
	"digitalocean": {"providers.devpod.digitalocean.size", "MACHINE_TYPE"},
}

// DevPodGPU maps the GPU model tier to the DevPod backend: a cloud instance type that carries
// the model and the count (catalog.DevPodGPUInstances), or on the kubernetes backend a node
// selector on the product label. An instance type set by hand must agree. The docker and ssh
// backends run on a host whose GPUs are what they are: a model cannot be chosen there.
func (c *Config) DevPodGPU() DevPodGPUChoice {
	model := c.gpuModel()
	if model == "" || c.Providers.DevPod == nil {
		return DevPodGPUChoice{}
	}
	dp := c.Providers.DevPod
	ch := DevPodGPUChoice{Model: model, Count: max(c.GPUCount(), 1), Field: "deployment.resources.gpu.tier"}
	switch dp.Type {
	case "kubernetes":
		products, ok := catalog.KubernetesGPUs[model]
		var single []string
		for _, m := range catalog.Models(catalog.KubernetesGPUs) {
			if len(catalog.KubernetesGPUs[m]) == 1 {
				single = append(single, m)
			}
		}
		switch {
		case !ok || len(products) != 1:
			ch.Err = fmt.Sprintf("GPU model %q is not one node product on devpod's kubernetes backend, whose node selector takes one value (models: %s)",
				model, strings.Join(single, ", "))
		default:
			ch.Option, ch.Value = "NODE_SELECTOR", catalog.KubernetesGPUProductLabel+"="+products[0]
		}
		return ch
	case "docker", "ssh":
		ch.Err = fmt.Sprintf("devpod's %s backend runs on a given host whose GPUs cannot be chosen: it offers no GPU models (use gpu.enabled without a model tier, or a cloud backend: aws, gcp, azure, digitalocean)", dp.Type)
		return ch
	}
	f := devpodInstanceFields[dp.Type]
	ch.Option = f.option
	it, counts, ok := catalog.DevPodInstanceFor(dp.Type, model, ch.Count)
	switch {
	case counts == nil:
		ch.Err = fmt.Sprintf("devpod's %s backend has no instance type with GPU model %q in sindri's catalogue (%s models: %s); or name an instance type in %s",
			dp.Type, model, dp.Type, strings.Join(catalog.Models(catalog.DevPodGPUInstances[dp.Type]), ", "), f.field)
		return ch
	case !ok:
		ch.Err = fmt.Sprintf("no %s instance type carries %d x %s: it comes in %s GPUs per instance", dp.Type, ch.Count, model, joinInts(counts))
		ch.Field = "deployment.resources.gpu.count"
		return ch
	}
	ch.Value = it.Type
	if set := devpodInstanceSet(dp); set != "" && set != it.Type {
		ch.Err = fmt.Sprintf("%s is %q, but deployment.resources.gpu.tier %q with %d GPU(s) means %q: remove one of them", f.field, set, model, ch.Count, it.Type)
		ch.Field = f.field
	}
	return ch
}

// devpodInstanceSet is the instance type the backend's own block names, or "".
func devpodInstanceSet(dp *DevPodConfig) string {
	switch {
	case dp.Type == "aws" && dp.AWS != nil:
		return dp.AWS.InstanceType
	case dp.Type == "gcp" && dp.GCP != nil:
		return dp.GCP.MachineType
	case dp.Type == "azure" && dp.Azure != nil:
		return dp.Azure.VMSize
	case dp.Type == "digitalocean" && dp.DigitalOcean != nil:
		return dp.DigitalOcean.Size
	}
	return ""
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// gpuModelRules checks a GPU model tier against the chosen provider's catalogue: one error
// that lists what the provider offers. RunPod and Northflank check theirs in their own rules.
func gpuModelRules(d *decoder, c *Config, prov ProviderName) {
	const field = "deployment.resources.gpu.tier"
	g := c.Deployment.Resources.GPU
	if g == nil || g.Tier == "" || slices.Contains(gpuTierValues, g.Tier) {
		return
	}
	switch prov {
	case ProviderRunPod, ProviderNorthflank:
		return
	case ProviderKubernetes:
		if ch := c.KubernetesGPU(); ch.Err != "" {
			d.errorf(d.values[field], field, "see docs/providers/kubernetes.md#gpus", "%s", ch.Err)
		}
	case ProviderDevPod:
		if ch := c.DevPodGPU(); ch.Err != "" {
			d.errorf(d.values[ch.Field], ch.Field, "see docs/providers/devpod.md#gpus", "%s", ch.Err)
		}
	default:
		d.errorf(d.values[field], field,
			fmt.Sprintf("valid: %s (GPU models such as %q are offered by runpod, northflank, kubernetes and devpod's cloud backends; %s uses the host's GPUs)",
				strings.Join(gpuTierValues, ", "), g.Tier, c.Deployment.Provider),
			"unknown gpu tier %q", g.Tier)
	}
}
