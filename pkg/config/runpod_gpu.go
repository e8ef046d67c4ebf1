package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
)

// The RunPod GPU decision. The catalogue (GPU type ids, tiers, data centres, CPU flavours and
// prices) is pkg/catalog/runpod.go; an id outside it is sent as written, with a warning.

// RunPodGPUChoice is the GPU a RunPod config asks for.
type RunPodGPUChoice struct {
	// ID is the GPU type id to send ("" for a CPU pod).
	ID string
	// Count is the number of GPUs.
	Count int
	// From says where ID came from: "providers.runpod.gpuTypeId" or "deployment.resources.gpu.tier".
	From string
	// Known is false for an id outside catalog.RunPodGPUs, sent as written.
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
	tierID, _ := catalog.RunPodTierGPU(tier)
	if override != "" {
		ch.ID, ch.From, ch.Known = override, "providers.runpod.gpuTypeId", catalog.IsRunPodGPU(override)
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
	for _, id := range catalog.RunPodGPUIDs() {
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
		d.errorf(d.values[field], field, "write the id byte for byte as RunPod lists it, or set deployment.resources.gpu.tier (one of: "+strings.Join(catalog.RunPodTiers(), ", ")+")", "%s", ch.Problem)
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
	if rp.Region != "" && !slices.Contains(catalog.RunPodDataCenters, rp.Region) {
		d.errorf(d.values["providers.runpod.region"], "providers.runpod.region", "valid: "+strings.Join(catalog.RunPodDataCenters, ", "),
			"unknown RunPod data centre %q", rp.Region)
	}
	if rp.GPUTypeID != "" && rp.CPUOnly != nil && *rp.CPUOnly {
		d.warnf(d.present[field], field, "remove one of them", "gpuTypeId is ignored: cpuOnly asks for a CPU pod")
	}
}
