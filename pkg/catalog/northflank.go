package catalog

import (
	"slices"
	"strings"
)

// The Northflank managed-cloud catalogue: GPU types with their allowed counts, regions and
// prices, the tiers that name them, the regions, and the compute plans with their prices.
// Source: GET /v1/plans and GET /v1/regions as transcribed in northflank/skills
// references/plans.md ("generated from GET /v1/plans", snapshot 2026-06-25;
// shared/spec/provider-apis/runpod-northflank.md B7-B9). List prices in USD before any
// discount; the live figures are GET /v1/plans amountPerHour (public, no token).
const NorthflankSource = "Northflank GET /v1/plans list prices (snapshot 2026-06-25)"

// NorthflankGPUType is one Northflank GPU type.
type NorthflankGPUType struct {
	// ID is the gpuType the API takes ("a100-40").
	ID string
	// Model names the GPU for people ("NVIDIA A100 40 GB").
	Model string
	// Counts are the GPU counts one instance may have.
	Counts []int
	// Regions are the regions that have it.
	Regions []string
	// PerHour is the price of one GPU per hour, on top of its nf-gpu plan's bundled CPU and
	// memory (whose price the snapshot does not give).
	PerHour float64
}

// NorthflankGPUTypes is the managed-cloud GPU catalogue, cheapest first.
var NorthflankGPUTypes = []NorthflankGPUType{
	{"l4-24", "NVIDIA L4 24 GB", []int{1, 2, 4, 8}, []string{"europe-west", "us-central", "europe-west-netherlands", "asia-southeast", "us-east1", "us-west", "asia-northeast", "europe-west-frankfurt"}, 0.80},
	{"a100-40", "NVIDIA A100 40 GB", []int{1, 2, 4, 8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "asia-northeast"}, 1.42},
	{"a100-80", "NVIDIA A100 80 GB", []int{1, 2, 4, 8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "us-east1"}, 1.76},
	{"h100-80", "NVIDIA H100 80 GB", []int{1, 2, 4, 8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "us-east1", "us-west", "asia-northeast", "europe-west-frankfurt"}, 2.74},
	{"rtx_pro_6000-96", "NVIDIA RTX PRO 6000 96 GB", []int{8}, []string{"europe-west", "us-central", "us-west", "us-east-ohio", "asia-south-delhi"}, 3.00},
	{"h200-141", "NVIDIA H200 141 GB", []int{8}, []string{"us-central", "europe-west-netherlands", "us-east1", "us-west"}, 3.14},
	{"b200-180", "NVIDIA B200 180 GB", []int{8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "us-east1", "asia-northeast"}, 5.87},
}

// northflankTiers maps deployment.resources.gpu.tier to a Northflank gpuType: the four
// generic tiers (upstream's documentation table) and the GPU model tiers Northflank has.
var northflankTiers = map[string]string{
	"gpu-small":   "l4-24",
	"gpu-medium":  "a100-40",
	"gpu-large":   "a100-80",
	"gpu-xlarge":  "h100-80",
	"l4":          "l4-24",
	"a100":        "a100-80",
	"a100-40":     "a100-40",
	"a100-80":     "a100-80",
	"h100":        "h100-80",
	"h200":        "h200-141",
	"b200":        "b200-180",
	"rtx-pro6000": "rtx_pro_6000-96",
}

// northflankGPUAliases are the gpuType spellings of upstream's documentation, which the API
// does not take.
var northflankGPUAliases = map[string]string{
	"nvidia-l4":        "l4-24",
	"nvidia-a100-40gb": "a100-40",
	"nvidia-a100-80gb": "a100-80",
	"nvidia-a100":      "a100-80",
	"nvidia-h100":      "h100-80",
	"nvidia-h200":      "h200-141",
	"nvidia-b200":      "b200-180",
}

// NorthflankRegions are the managed-cloud region ids of GET /v1/regions.
var NorthflankRegions = []string{
	"canada-central", "southamerica-east", "us-central", "us-east-ohio", "us-east1", "us-west",
	"us-west-california", "asia-east", "asia-northeast", "asia-south-delhi", "asia-southeast",
	"australia-southeast", "africa-south", "europe-west", "europe-west-frankfurt",
	"europe-west-netherlands", "europe-west-zurich",
}

// NorthflankPlan is one compute plan: billing.deploymentPlan.
type NorthflankPlan struct {
	ID       string
	MilliCPU int // vCPU x 1000
	MemoryMB int
	PerHour  float64
}

// NorthflankPlans are every real compute plan, cheapest first within equal size; there is no
// nf-compute-100 (the upstream derivation's), and nf-compute-200 and -200-4 are the same size.
var NorthflankPlans = []NorthflankPlan{
	{"nf-compute-10", 100, 256, 0.004},
	{"nf-compute-20", 200, 512, 0.008},
	{"nf-compute-50", 500, 1024, 0.017},
	{"nf-compute-100-1", 1000, 1024, 0.025},
	{"nf-compute-100-2", 1000, 2048, 0.033},
	{"nf-compute-100-4", 1000, 4096, 0.05},
	{"nf-compute-200", 2000, 4096, 0.067},
	{"nf-compute-200-4", 2000, 4096, 0.067},
	{"nf-compute-200-8", 2000, 8192, 0.1},
	{"nf-compute-200-16", 2000, 16384, 0.167},
	{"nf-compute-400", 4000, 8192, 0.133},
	{"nf-compute-400-16", 4000, 16384, 0.2},
	{"nf-compute-800-8", 8000, 8192, 0.2},
	{"nf-compute-800-16", 8000, 16384, 0.267},
	{"nf-compute-800-24", 8000, 24576, 0.333},
	{"nf-compute-800-32", 8000, 32768, 0.4},
	{"nf-compute-800-40", 8000, 40960, 0.467},
	{"nf-compute-1200-24", 12000, 24576, 0.4},
	{"nf-compute-1600-32", 16000, 32768, 0.533},
	{"nf-compute-2000-40", 20000, 40960, 0.667},
}

// NorthflankGPUTypeByID returns the catalogue entry of gpuType id.
func NorthflankGPUTypeByID(id string) (NorthflankGPUType, bool) {
	i := slices.IndexFunc(NorthflankGPUTypes, func(g NorthflankGPUType) bool { return g.ID == id })
	if i < 0 {
		return NorthflankGPUType{}, false
	}
	return NorthflankGPUTypes[i], true
}

// NorthflankGPUIDs returns every gpuType id, cheapest first.
func NorthflankGPUIDs() []string {
	out := make([]string, len(NorthflankGPUTypes))
	for i, g := range NorthflankGPUTypes {
		out[i] = g.ID
	}
	return out
}

// NorthflankTiers returns the GPU tiers Northflank understands (generic and model), sorted.
func NorthflankTiers() []string { return Models(northflankTiers) }

// NorthflankTierGPU returns the gpuType tier names, and whether it names one.
func NorthflankTierGPU(tier string) (string, bool) {
	id, ok := northflankTiers[tier]
	return id, ok
}

// NorthflankAlias returns the gpuType an upstream spelling (nvidia-a100-40gb) means.
func NorthflankAlias(s string) (string, bool) {
	id, ok := northflankGPUAliases[strings.ToLower(s)]
	return id, ok
}

// NorthflankPlanByID returns the compute plan id.
func NorthflankPlanByID(id string) (NorthflankPlan, bool) {
	i := slices.IndexFunc(NorthflankPlans, func(p NorthflankPlan) bool { return p.ID == id })
	if i < 0 {
		return NorthflankPlan{}, false
	}
	return NorthflankPlans[i], true
}
