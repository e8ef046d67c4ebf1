// Package catalog holds what each platform offers, one file per provider: the GPU ids a
// deployment.resources.gpu.tier model name maps to, the limits on counts, and the list prices
// the cost estimates use, each file with its source and date. Config validation
// (pkg/config) and the providers and their fakes (pkg/providers/...) both read it, so a
// model accepted by validation is the id the provider sends and the fake accepts; it imports
// nothing of the project's own, so neither side can form an import cycle through it.
//
// GPU model names are lowercase tier names (a4000, a100, a100-80, rtx4090, l4, l40s, h100,
// h200, b200, ...) beside the four generic size tiers (gpu-small ... gpu-xlarge). A model a
// provider does not offer is refused by pkg/config with that provider's own list
// (see Models).
package catalog

import (
	"maps"
	"slices"
)

// GenericTiers are the four size tiers every GPU provider understands.
var GenericTiers = []string{"gpu-small", "gpu-medium", "gpu-large", "gpu-xlarge"}

// Models returns the GPU model names of m (a model-keyed table of one provider), sorted.
func Models[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// AllModels returns every GPU model name some provider's catalogue knows, sorted: the values
// deployment.resources.gpu.tier takes beside GenericTiers.
func AllModels() []string {
	seen := map[string]bool{}
	for _, names := range [][]string{Models(runpodTiers), Models(northflankTiers), Models(KubernetesGPUs), devpodModels()} {
		for _, n := range names {
			if !slices.Contains(GenericTiers, n) {
				seen[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// IsModel reports whether tier is a GPU model name of some provider's catalogue.
func IsModel(tier string) bool { return slices.Contains(AllModels(), tier) }
