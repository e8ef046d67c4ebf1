package catalog

import (
	"slices"
	"testing"
)

// Every tier of every catalogue names something that catalogue holds: a tier mapping to an id
// outside the platform's list would be sent, and refused, at deploy time.
func TestCataloguesAreConsistent(t *testing.T) {
	t.Parallel()
	for tier, id := range runpodTiers {
		if !IsRunPodGPU(id) {
			t.Errorf("runpod tier %s → %q, not a RunPod GPU id", tier, id)
		}
	}
	for tier, id := range northflankTiers {
		if _, ok := NorthflankGPUTypeByID(id); !ok {
			t.Errorf("northflank tier %s → %q, not a Northflank GPU type", tier, id)
		}
	}
	for alias, id := range northflankGPUAliases {
		if _, ok := NorthflankGPUTypeByID(id); !ok {
			t.Errorf("northflank alias %s → %q, not a Northflank GPU type", alias, id)
		}
	}
	for _, g := range NorthflankGPUTypes {
		if g.PerHour <= 0 || len(g.Counts) == 0 || len(g.Regions) == 0 {
			t.Errorf("northflank %s: price %v, counts %v, regions %v", g.ID, g.PerHour, g.Counts, g.Regions)
		}
	}
	for model, products := range KubernetesGPUs {
		if len(products) == 0 || slices.Contains(GenericTiers, model) {
			t.Errorf("kubernetes model %s: products %v", model, products)
		}
	}
	for backend, models := range DevPodGPUInstances {
		for model, its := range models {
			if !slices.IsSortedFunc(its, func(a, b DevPodInstance) int { return a.GPUs - b.GPUs }) || its[0].GPUs < 1 {
				t.Errorf("devpod %s %s: %v, want at least one GPU each, fewest first", backend, model, its)
			}
		}
	}
	// The provider guide's and the model names are all known somewhere.
	for _, m := range []string{"a4000", "a100", "a100-80", "rtx4090", "l4", "l40s", "h100", "h200", "b200"} {
		if !IsModel(m) {
			t.Errorf("GPU model %s is in no catalogue", m)
		}
	}
	if IsModel("gpu-small") {
		t.Error("a generic tier counted as a model")
	}
}

// A price of 0 means "not priced here": such ids give no estimate rather than a free GPU.
func TestRunPodGPUPrice(t *testing.T) {
	t.Parallel()
	if g, ok := RunPodGPUPrice("NVIDIA GeForce RTX 4090"); !ok || g.Secure != 0.44 || g.Community != 0.31 {
		t.Errorf("RTX 4090: %+v, %v; want 0.44 / 0.31 (the v2 catalogue example)", g, ok)
	}
	if _, ok := RunPodGPUPrice("Tesla T4"); ok {
		t.Error("Tesla T4 has no price here but reported one")
	}
	if _, ok := RunPodGPUPrice("NVIDIA RTX 4090"); ok {
		t.Error("a misspelt id has a price")
	}
}

func TestDevPodInstanceFor(t *testing.T) {
	t.Parallel()
	if it, _, ok := DevPodInstanceFor("aws", "l4", 4); !ok || it.Type != "g6.12xlarge" {
		t.Errorf("aws l4 x4 = %+v, %v", it, ok)
	}
	if _, counts, ok := DevPodInstanceFor("aws", "h100", 1); ok || !slices.Equal(counts, []int{8}) {
		t.Errorf("aws h100 x1: ok %v, counts %v; want no type and [8]", ok, counts)
	}
	if _, counts, _ := DevPodInstanceFor("gcp", "rtx4090", 1); counts != nil {
		t.Errorf("gcp rtx4090 offered in %v", counts)
	}
}
