package catalog

import "slices"

// The RunPod catalogue. GPU type ids: shared/spec/provider-apis/runpod-northflank.md A9 (the
// part of the platform's enum the notes quote), byte-exact display strings: "NVIDIA RTX 4090"
// is not an id, "NVIDIA GeForce RTX 4090" is, and the API answers a wrong id as if no capacity
// were left. Prices: RunPod's pricing page, list prices before any account discount, as
// transcribed in 2026-08; only the RTX 4090 row is confirmed by a second source (the example
// of GET /v2/catalog/gpus: 0.44 secure, 0.31 community); the other rows are UNVERIFIED
// against the live page, which cannot be read from here. The live figures are
// GET /v2/catalog/gpus `price`.
const (
	// RunPodSource names where this file's facts come from, for estimates' notes.
	RunPodSource = "https://www.runpod.io/pricing (list prices, 2026-08)"
	// RunPodCPUPerVCPUHour is a CPU pod's price per vCPU-hour (cpu3c).
	RunPodCPUPerVCPUHour = 0.03
	// RunPodVolumePerGBMonth is a pod volume's price per GB-month while the pod runs; a
	// stopped pod's volume costs RunPodVolumeIdlePerGBMonth.
	RunPodVolumePerGBMonth     = 0.10
	RunPodVolumeIdlePerGBMonth = 0.20
	// RunPodContainerDiskPerGBMonth is the container disk's price per GB-month (running pods
	// only).
	RunPodContainerDiskPerGBMonth = 0.10
)

// RunPodGPU is one RunPod GPU type: its id and list price per GPU-hour in each cloud (0: not
// priced here, so no estimate is made).
type RunPodGPU struct {
	ID                string
	Secure, Community float64
}

// RunPodGPUs are the known RunPod GPU types, byte-exact (two-space twins included).
var RunPodGPUs = []RunPodGPU{
	{"NVIDIA RTX A4000", 0.25, 0.17}, {"NVIDIA RTX A4500", 0.25, 0.19}, {"NVIDIA  RTX A4500", 0, 0},
	{"NVIDIA RTX A5000", 0.27, 0.16}, {"NVIDIA RTX A6000", 0.49, 0.33}, {"NVIDIA A40", 0.40, 0.35},
	{"NVIDIA  A30", 0, 0}, {"NVIDIA RTX A30", 0, 0}, {"NVIDIA A100 80GB PCIe", 1.64, 1.19},
	{"NVIDIA A100-SXM4-80GB", 1.74, 1.39}, {"NVIDIA H100 80GB HBM3", 2.99, 2.69},
	{"NVIDIA H100 PCIe", 2.39, 1.99}, {"NVIDIA H100 NVL", 2.79, 2.59}, {"NVIDIA H200", 3.99, 3.59},
	{"NVIDIA H200 NVL", 0, 0}, {"NVIDIA B200", 5.99, 5.99}, {"NVIDIA L4", 0.43, 0.30},
	{"NVIDIA L40", 0.99, 0.69}, {"NVIDIA L40S", 0.86, 0.79}, {"NVIDIA GeForce RTX 3080TI", 0, 0},
	{"NVIDIA GeForce RTX 3090", 0.43, 0.22}, {"NVIDIA GeForce RTX 4090", 0.44, 0.31},
	{"NVIDIA GeForce RTX 5090", 0.89, 0.69}, {"NVIDIA RTX 6000 Ada Generation", 0.77, 0.74},
	{"NVIDIA RTX 4000 Ada Generation", 0.26, 0.20}, {"NVIDIA RTX 2000 Ada Generation", 0.24, 0.23},
	{"NVIDIA RTX PRO 6000 Blackwell Server Edition", 0, 0}, {"Tesla T4", 0, 0},
	{"Tesla V100-PCIE-16GB", 0, 0.14}, {"AMD Instinct MI300X OAM", 2.49, 2.49},
}

// runpodTiers maps deployment.resources.gpu.tier to a RunPod GPU type id: the four generic
// tiers (upstream's mapping) and one tier per GPU model.
var runpodTiers = map[string]string{
	"gpu-small":   "NVIDIA RTX A4000",
	"gpu-medium":  "NVIDIA RTX A5000",
	"gpu-large":   "NVIDIA A100 80GB PCIe",
	"gpu-xlarge":  "NVIDIA H100 80GB HBM3",
	"a4000":       "NVIDIA RTX A4000",
	"a4500":       "NVIDIA RTX A4500",
	"a5000":       "NVIDIA RTX A5000",
	"a6000":       "NVIDIA RTX A6000",
	"a40":         "NVIDIA A40",
	"a100":        "NVIDIA A100 80GB PCIe",
	"a100-80":     "NVIDIA A100 80GB PCIe",
	"a100-sxm":    "NVIDIA A100-SXM4-80GB",
	"h100":        "NVIDIA H100 80GB HBM3",
	"h100-pcie":   "NVIDIA H100 PCIe",
	"h100-nvl":    "NVIDIA H100 NVL",
	"h200":        "NVIDIA H200",
	"b200":        "NVIDIA B200",
	"l4":          "NVIDIA L4",
	"l40":         "NVIDIA L40",
	"l40s":        "NVIDIA L40S",
	"rtx3090":     "NVIDIA GeForce RTX 3090",
	"rtx4090":     "NVIDIA GeForce RTX 4090",
	"rtx5090":     "NVIDIA GeForce RTX 5090",
	"rtx2000-ada": "NVIDIA RTX 2000 Ada Generation",
	"rtx4000-ada": "NVIDIA RTX 4000 Ada Generation",
	"rtx6000-ada": "NVIDIA RTX 6000 Ada Generation",
	"rtx-pro6000": "NVIDIA RTX PRO 6000 Blackwell Server Edition",
	"t4":          "Tesla T4",
	"v100":        "Tesla V100-PCIE-16GB",
	"mi300x":      "AMD Instinct MI300X OAM",
}

// RunPodDataCenters are the RunPod data centre ids providers.runpod.region may name.
var RunPodDataCenters = []string{
	"EU-RO-1", "CA-MTL-1", "EU-SE-1", "US-IL-1", "EUR-IS-1", "EU-CZ-1", "US-TX-3", "EUR-IS-2",
	"US-KS-2", "US-GA-2", "US-WA-1", "US-TX-1", "CA-MTL-3", "EU-NL-1", "US-TX-4", "US-CA-2",
	"US-NC-1", "OC-AU-1", "US-DE-1", "EUR-IS-3", "CA-MTL-2", "AP-JP-1", "EUR-NO-1", "EU-FR-1",
	"US-KS-3", "US-GA-1",
}

// RunPodCPUFlavors are the CPU flavour ids of RunPod CPU pods.
var RunPodCPUFlavors = []string{"cpu3c", "cpu3g", "cpu3m", "cpu5c", "cpu5g", "cpu5m"}

// RunPodGPUIDs returns every known RunPod GPU type id, in catalogue order.
func RunPodGPUIDs() []string {
	out := make([]string, len(RunPodGPUs))
	for i, g := range RunPodGPUs {
		out[i] = g.ID
	}
	return out
}

// IsRunPodGPU reports whether id is a known RunPod GPU type id, byte for byte.
func IsRunPodGPU(id string) bool {
	return slices.ContainsFunc(RunPodGPUs, func(g RunPodGPU) bool { return g.ID == id })
}

// RunPodGPUPrice returns id's list price; ok is false when the catalogue has no price for it.
func RunPodGPUPrice(id string) (g RunPodGPU, ok bool) {
	i := slices.IndexFunc(RunPodGPUs, func(g RunPodGPU) bool { return g.ID == id })
	if i < 0 || (RunPodGPUs[i].Secure == 0 && RunPodGPUs[i].Community == 0) {
		return RunPodGPU{}, false
	}
	return RunPodGPUs[i], true
}

// RunPodTiers returns the GPU tiers RunPod understands (generic and model), sorted.
func RunPodTiers() []string { return Models(runpodTiers) }

// RunPodTierGPU returns the GPU type id tier names, and whether it names one.
func RunPodTierGPU(tier string) (string, bool) {
	id, ok := runpodTiers[tier]
	return id, ok
}
