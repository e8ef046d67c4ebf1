package catalog

// The Kubernetes catalogue: what a GPU model means on a cluster. The NVIDIA device plugin
// advertises the extended resource nvidia.com/gpu (an integer limit); NVIDIA's GPU feature
// discovery (GFD, part of the GPU operator) labels each GPU node with nvidia.com/gpu.product,
// whose value is the NVML device name with spaces replaced by dashes ("NVIDIA A100-SXM4-80GB"
// becomes NVIDIA-A100-SXM4-80GB). Source: the label values GFD writes, as seen on real
// clusters' node listings and in NVIDIA's GPU operator documentation, collected 2026-12-06;
// several products can be one model (A100 SXM4 and PCIe), so a model selects nodes by
// affinity on any of its products. A cluster has no list price: estimates come from the
// executor's cost block.
const (
	// KubernetesGPUResource is the NVIDIA device plugin's extended resource.
	KubernetesGPUResource = "nvidia.com/gpu"
	// KubernetesGPUProductLabel is the node label GPU feature discovery sets to the product.
	KubernetesGPUProductLabel = "nvidia.com/gpu.product"
)

// KubernetesGPUs maps a GPU model tier to the nvidia.com/gpu.product values of its products.
var KubernetesGPUs = map[string][]string{
	"t4":          {"Tesla-T4"},
	"v100":        {"Tesla-V100-SXM2-16GB", "Tesla-V100-SXM2-32GB", "Tesla-V100-PCIE-16GB", "Tesla-V100-PCIE-32GB"},
	"a10":         {"NVIDIA-A10"},
	"a10g":        {"NVIDIA-A10G"},
	"a4000":       {"NVIDIA-RTX-A4000"},
	"a4500":       {"NVIDIA-RTX-A4500"},
	"a5000":       {"NVIDIA-RTX-A5000"},
	"a6000":       {"NVIDIA-RTX-A6000"},
	"a40":         {"NVIDIA-A40"},
	"a100":        {"NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-PCIE-40GB", "NVIDIA-A100-80GB-PCIe"},
	"a100-40":     {"NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-PCIE-40GB"},
	"a100-80":     {"NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIe"},
	"a100-sxm":    {"NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-SXM4-80GB"},
	"h100":        {"NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe", "NVIDIA-H100-NVL"},
	"h100-pcie":   {"NVIDIA-H100-PCIe"},
	"h100-nvl":    {"NVIDIA-H100-NVL"},
	"h200":        {"NVIDIA-H200", "NVIDIA-H200-NVL"},
	"b200":        {"NVIDIA-B200"},
	"l4":          {"NVIDIA-L4"},
	"l40":         {"NVIDIA-L40"},
	"l40s":        {"NVIDIA-L40S"},
	"rtx3090":     {"NVIDIA-GeForce-RTX-3090"},
	"rtx4090":     {"NVIDIA-GeForce-RTX-4090"},
	"rtx5090":     {"NVIDIA-GeForce-RTX-5090"},
	"rtx4000-ada": {"NVIDIA-RTX-4000-Ada-Generation"},
	"rtx6000-ada": {"NVIDIA-RTX-6000-Ada-Generation"},
}
