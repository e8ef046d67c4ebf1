package config

import (
	"fmt"
	"slices"
	"strings"
)

// The RunPod catalogue: GPU type ids, the GPU tiers that name them, data centres and CPU
// flavours. Ids are byte-exact display strings (shared/spec/provider-apis/runpod-northflank.md
// A9): "NVIDIA RTX 4090" is not an id, "NVIDIA GeForce RTX 4090" is, and the API answers a
// wrong id as if no capacity were left. The list is the part of the platform's enum the notes
// quote; an id outside it is sent as written, with a warning.

// RunPodGPUTypes are the known RunPod GPU type ids, byte-exact (two-space twins included).
var RunPodGPUTypes = []string{
	"NVIDIA RTX A4000", "NVIDIA RTX A4500", "NVIDIA  RTX A4500", "NVIDIA RTX A5000", "NVIDIA RTX A6000",
	"NVIDIA A40", "NVIDIA  A30", "NVIDIA RTX A30", "NVIDIA A100 80GB PCIe", "NVIDIA A100-SXM4-80GB",
	"NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe", "NVIDIA H100 NVL", "NVIDIA H200", "NVIDIA H200 NVL",
	"NVIDIA B200", "NVIDIA L4", "NVIDIA L40", "NVIDIA L40S", "NVIDIA GeForce RTX 3080TI",
	"NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 5090",
	"NVIDIA RTX 6000 Ada Generation", "NVIDIA RTX 4000 Ada Generation", "NVIDIA RTX 2000 Ada Generation",
	"NVIDIA RTX PRO 6000 Blackwell Server Edition", "Tesla T4", "Tesla V100-PCIE-16GB",
	"AMD Instinct MI300X OAM",
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

// RunPodTiers returns the GPU tiers RunPod understands, sorted.
func RunPodTiers() []string {
	out := make([]string, 0, len(runpodTiers))
	for k := range runpodTiers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// RunPodTierGPU returns the GPU type id tier names, and whether it names one.
func RunPodTierGPU(tier string) (string, bool) {
	id, ok := runpodTiers[tier]
	return id, ok
}

// RunPodGPUChoice is the GPU a RunPod config asks for.
type RunPodGPUChoice struct {
	// ID is the GPU type id to send ("" for a CPU pod).
	ID string
	// Count is the number of GPUs.
	Count int
	// From says where ID came from: "providers.runpod.gpuTypeId" or "deployment.resources.gpu.tier".
	From string
	// Known is false for an id outside RunPodGPUTypes, sent as written.
	Known bool
	// Problem, when set, is why providers.runpod.gpuTypeId was not used.
	Problem string
}

// RunPodGPU decides the GPU of a RunPod pod, the one decision config validation and the
// provider share: a GPU pod when deployment.resources.gpu.enabled is true or
// providers.runpod.gpuTypeId names a GPU (and cpuOnly is not set); the id from gpuTypeId when
// it is a catalogue id or unknown to the catalogue altogether, else from the tier. A
// gpuTypeId that is a misspelt catalogue id ("NVIDIA RTX 4090") gives way to an explicit GPU
// model tier, with Problem set; without such a tier it is still returned, with Problem set,
// for validation to refuse. A CPU pod has ID "".
func (c *Config) RunPodGPU() RunPodGPUChoice {
	rp := c.Providers.RunPod
	override := ""
	cpuOnly := false
	if rp != nil {
		override = rp.GPUTypeID
		cpuOnly = rp.CPUOnly != nil && *rp.CPUOnly
	}
	if cpuOnly || (!c.GPUEnabled() && override == "") {
		return RunPodGPUChoice{}
	}
	ch := RunPodGPUChoice{Count: c.GPUCount()}
	if ch.Count < 1 {
		ch.Count = 1
	}
	tier := "gpu-small"
	if g := c.Deployment.Resources.GPU; g != nil && g.Tier != "" {
		tier = g.Tier
	}
	tierID := runpodTiers[tier]
	if override != "" {
		ch.ID, ch.From, ch.Known = override, "providers.runpod.gpuTypeId", slices.Contains(RunPodGPUTypes, override)
		if ch.Known {
			return ch
		}
		near := NearRunPodGPUs(override)
		if len(near) == 0 {
			return ch
		}
		ch.Problem = fmt.Sprintf("%q is not a RunPod GPU type id (did you mean %s?)", override, quoteJoin(near))
		if modelTier := !slices.Contains(gpuTierValues, tier) && tierID != ""; !modelTier {
			return ch
		}
	}
	ch.ID, ch.From, ch.Known = tierID, "deployment.resources.gpu.tier", true
	return ch
}

// NearRunPodGPUs returns the catalogue ids that s probably means: equal once case, spaces and
// "GeForce" are ignored, or starting with s so read.
func NearRunPodGPUs(s string) []string {
	norm := func(v string) string {
		v = strings.ToLower(strings.Join(strings.Fields(v), " "))
		return strings.ReplaceAll(v, "geforce ", "")
	}
	want := norm(s)
	if want == "" {
		return nil
	}
	var out []string
	for _, id := range RunPodGPUTypes {
		if n := norm(id); n == want || strings.HasPrefix(n, want+" ") || strings.HasPrefix(n, want+"-") {
			out = append(out, id)
		}
	}
	return out
}

func quoteJoin(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " or ")
}

// runpodGPURules checks the GPU a RunPod config asks for against the catalogue.
func runpodGPURules(d *decoder, c *Config) {
	ch := c.RunPodGPU()
	const field = "providers.runpod.gpuTypeId"
	switch {
	case ch.Problem != "" && ch.From == field:
		d.errorf(d.values[field], field, "write the id byte for byte as RunPod lists it, or set deployment.resources.gpu.tier (one of: "+strings.Join(RunPodTiers(), ", ")+")", "%s", ch.Problem)
	case ch.Problem != "":
		d.warnf(d.present[field], field, "fix or remove gpuTypeId", "%s; the tier %q asks for %q instead", ch.Problem, c.Deployment.Resources.GPU.Tier, ch.ID)
	case ch.ID != "" && !ch.Known:
		d.warnf(d.present[field], field, "check the id in the RunPod console; a wrong id fails as \"no instances available\"",
			"%q is not in sindri's catalogue of RunPod GPU type ids; it is sent as written", ch.ID)
	}
	rp := c.Providers.RunPod
	if rp == nil {
		return
	}
	if rp.Region != "" && !slices.Contains(RunPodDataCenters, rp.Region) {
		d.errorf(d.values["providers.runpod.region"], "providers.runpod.region", "valid: "+strings.Join(RunPodDataCenters, ", "),
			"unknown RunPod data centre %q", rp.Region)
	}
	if rp.GPUTypeID != "" && rp.CPUOnly != nil && *rp.CPUOnly {
		d.warnf(d.present[field], field, "remove one of them", "gpuTypeId is ignored: cpuOnly asks for a CPU pod")
	}
}

// gpuTierElsewhere refuses a RunPod GPU model tier for another provider, which knows only the
// four generic tiers.
func gpuTierElsewhere(d *decoder, c *Config) {
	g := c.Deployment.Resources.GPU
	if g == nil || g.Tier == "" || slices.Contains(gpuTierValues, g.Tier) {
		return
	}
	d.errorf(d.values["deployment.resources.gpu.tier"], "deployment.resources.gpu.tier",
		fmt.Sprintf("valid: %s (GPU model tiers such as %q are RunPod's; %s takes the generic tiers)", strings.Join(gpuTierValues, ", "), g.Tier, c.Deployment.Provider),
		"unknown gpu tier %q", g.Tier)
}
