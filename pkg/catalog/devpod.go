package catalog

import "slices"

// The DevPod catalogue: the cloud instance types that carry each GPU model, per DevPod cloud
// backend (providers.devpod.type). An instance type fixes its GPU count, so a model and a
// count pick one type. Sources: the clouds' instance-type documentation (AWS EC2 accelerated
// computing G4dn/G5/G6/G6e/P3/P4/P5/P6, Google Cloud accelerator-optimized A2/A3/A4/G2,
// Azure NC/ND-series, DigitalOcean GPU Droplets) as known on 2026-12-06; not checked against
// the live APIs from here. Types a cloud offers but this table lacks can still be named in
// the backend's own field (aws.instanceType, gcp.machineType, azure.vmSize,
// digitalocean.size). Prices are the cloud's; DevPod adds none, so there is no price here.

// DevPodInstance is one instance type and the number of GPUs it carries.
type DevPodInstance struct {
	Type string
	GPUs int
}

// DevPodGPUInstances maps a DevPod cloud backend to its GPU models and their instance types,
// fewest GPUs first.
var DevPodGPUInstances = map[string]map[string][]DevPodInstance{
	"aws": {
		"t4":      {{"g4dn.xlarge", 1}, {"g4dn.12xlarge", 4}, {"g4dn.metal", 8}},
		"a10g":    {{"g5.xlarge", 1}, {"g5.12xlarge", 4}, {"g5.48xlarge", 8}},
		"l4":      {{"g6.xlarge", 1}, {"g6.12xlarge", 4}, {"g6.48xlarge", 8}},
		"l40s":    {{"g6e.xlarge", 1}, {"g6e.12xlarge", 4}, {"g6e.48xlarge", 8}},
		"v100":    {{"p3.2xlarge", 1}, {"p3.8xlarge", 4}, {"p3.16xlarge", 8}},
		"a100":    {{"p4d.24xlarge", 8}},
		"a100-40": {{"p4d.24xlarge", 8}},
		"a100-80": {{"p4de.24xlarge", 8}},
		"h100":    {{"p5.48xlarge", 8}},
		"h200":    {{"p5en.48xlarge", 8}},
		"b200":    {{"p6-b200.48xlarge", 8}},
	},
	"gcp": {
		"l4":      {{"g2-standard-4", 1}, {"g2-standard-24", 2}, {"g2-standard-48", 4}, {"g2-standard-96", 8}},
		"a100":    {{"a2-highgpu-1g", 1}, {"a2-highgpu-2g", 2}, {"a2-highgpu-4g", 4}, {"a2-highgpu-8g", 8}},
		"a100-40": {{"a2-highgpu-1g", 1}, {"a2-highgpu-2g", 2}, {"a2-highgpu-4g", 4}, {"a2-highgpu-8g", 8}},
		"a100-80": {{"a2-ultragpu-1g", 1}, {"a2-ultragpu-2g", 2}, {"a2-ultragpu-4g", 4}, {"a2-ultragpu-8g", 8}},
		"h100":    {{"a3-highgpu-8g", 8}},
		"h200":    {{"a3-ultragpu-8g", 8}},
		"b200":    {{"a4-highgpu-8g", 8}},
	},
	"azure": {
		"t4":      {{"Standard_NC4as_T4_v3", 1}, {"Standard_NC64as_T4_v3", 4}},
		"v100":    {{"Standard_NC6s_v3", 1}, {"Standard_NC12s_v3", 2}, {"Standard_NC24s_v3", 4}},
		"a10":     {{"Standard_NV36ads_A10_v5", 1}},
		"a100":    {{"Standard_NC24ads_A100_v4", 1}, {"Standard_NC48ads_A100_v4", 2}, {"Standard_NC96ads_A100_v4", 4}, {"Standard_ND96amsr_A100_v4", 8}},
		"a100-40": {{"Standard_ND96asr_v4", 8}},
		"a100-80": {{"Standard_NC24ads_A100_v4", 1}, {"Standard_NC48ads_A100_v4", 2}, {"Standard_NC96ads_A100_v4", 4}, {"Standard_ND96amsr_A100_v4", 8}},
		"h100":    {{"Standard_NC40ads_H100_v5", 1}, {"Standard_NC80adis_H100_v5", 2}, {"Standard_ND96isr_H100_v5", 8}},
		"h200":    {{"Standard_ND96isr_H200_v5", 8}},
	},
	"digitalocean": {
		"h100":        {{"gpu-h100x1-80gb", 1}, {"gpu-h100x8-640gb", 8}},
		"l40s":        {{"gpu-l40sx1-48gb", 1}},
		"rtx4000-ada": {{"gpu-4000adax1-20gb", 1}},
		"rtx6000-ada": {{"gpu-6000adax1-48gb", 1}},
		"mi300x":      {{"gpu-mi300x1-192gb", 1}, {"gpu-mi300x8-1536gb", 8}},
	},
}

// DevPodInstanceFor returns the instance type of backend that carries count GPUs of model;
// offered lists the counts the model comes in there (nil when the backend does not offer the
// model at all).
func DevPodInstanceFor(backend, model string, count int) (it DevPodInstance, offered []int, ok bool) {
	for _, i := range DevPodGPUInstances[backend][model] {
		offered = append(offered, i.GPUs)
		if i.GPUs == count && !ok {
			it, ok = i, true
		}
	}
	return it, offered, ok
}

func devpodModels() []string {
	var out []string
	for _, models := range DevPodGPUInstances {
		for m := range models {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}
