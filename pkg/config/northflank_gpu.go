package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/catalog"
)

// The Northflank GPU decision. The catalogue (GPU types with counts, regions and prices, the
// tiers that name them, regions, compute plans) is pkg/catalog/northflank.go.

// NorthflankGPUChoice is the GPU a Northflank config asks for.
type NorthflankGPUChoice struct {
	// Type is the gpuType to send ("" for a CPU service).
	Type  string
	Count int
	// From says where Type came from: "providers.northflank.gpuType" or
	// "deployment.resources.gpu.tier".
	From string
	// Field is the config field an Err is about.
	Field string
	// Note, when set, says how a spelling was read (an upstream alias).
	Note string
	// Err, when set, is why the config's GPU cannot be deployed on Northflank.
	Err string
}

// NorthflankGPU decides the GPU of a Northflank service, the one decision config validation
// and the provider share: a GPU service when deployment.resources.gpu.enabled is true or
// providers.northflank.gpuType is set; the type from gpuType (an id, or an upstream alias such
// as nvidia-a100-40gb), else from the tier (default gpu-small); the count from
// deployment.resources.gpu.count, else providers.northflank.gpuCount, and it must be one the
// type allows.
func (c *Config) NorthflankGPU() NorthflankGPUChoice {
	nf := c.Providers.Northflank
	override := ""
	if nf != nil {
		override = nf.GPUType
	}
	if !c.GPUEnabled() && override == "" {
		return NorthflankGPUChoice{}
	}
	ch := NorthflankGPUChoice{Count: 1}
	if g := c.Deployment.Resources.GPU; g != nil && g.Count != nil {
		ch.Count = *g.Count
	} else if nf != nil && nf.GPUCount != nil {
		ch.Count = *nf.GPUCount
	}
	switch {
	case override != "":
		ch.From, ch.Field = "providers.northflank.gpuType", "providers.northflank.gpuType"
		if _, ok := catalog.NorthflankGPUTypeByID(override); ok {
			ch.Type = override
		} else if id, ok := catalog.NorthflankAlias(override); ok {
			ch.Type, ch.Note = id, fmt.Sprintf("gpuType %q is upstream's spelling; Northflank's id is %q", override, id)
		} else {
			ch.Err = fmt.Sprintf("gpuType %q is not a Northflank GPU type (valid: %s)", override, strings.Join(catalog.NorthflankGPUIDs(), ", "))
			return ch
		}
	default:
		tier := "gpu-small"
		if g := c.Deployment.Resources.GPU; g != nil && g.Tier != "" {
			tier = g.Tier
		}
		ch.From, ch.Field = "deployment.resources.gpu.tier", "deployment.resources.gpu.tier"
		id, ok := catalog.NorthflankTierGPU(tier)
		if !ok {
			ch.Err = fmt.Sprintf("gpu tier %q has no Northflank GPU (Northflank tiers: %s; or set providers.northflank.gpuType to one of %s)",
				tier, strings.Join(catalog.NorthflankTiers(), ", "), strings.Join(catalog.NorthflankGPUIDs(), ", "))
			return ch
		}
		ch.Type = id
	}
	g, _ := catalog.NorthflankGPUTypeByID(ch.Type)
	if !slices.Contains(g.Counts, ch.Count) {
		counts := make([]string, len(g.Counts))
		for i, n := range g.Counts {
			counts[i] = strconv.Itoa(n)
		}
		ch.Err = fmt.Sprintf("%d x %s is not offered: Northflank allows %s GPUs of this type per instance", ch.Count, ch.Type, strings.Join(counts, ", "))
		ch.Field = "deployment.resources.gpu.count"
	}
	return ch
}

// northflankRules are the whole-file checks of a northflank config: the GPU against the
// catalogue, the region, port names and public ports.
func northflankRules(d *decoder, c *Config) {
	nf := c.Providers.Northflank
	if ch := c.NorthflankGPU(); ch.Err != "" {
		d.errorf(d.values[ch.Field], ch.Field, "see docs/providers/northflank.md#settings-honoured", "%s", ch.Err)
	} else if ch.Note != "" {
		d.warnf(d.values[ch.Field], ch.Field, "write the Northflank id", "%s", ch.Note)
	}
	if nf == nil {
		return
	}
	if nf.Region != "" && !slices.Contains(catalog.NorthflankRegions, nf.Region) {
		hint := "valid: " + strings.Join(catalog.NorthflankRegions, ", ")
		if near := NearNorthflankRegion(nf.Region); near != "" {
			hint = fmt.Sprintf("did you mean %q?", near)
		}
		d.warnf(d.values["providers.northflank.region"], "providers.northflank.region", hint,
			"%q is not a Northflank region: creating the project will fail", nf.Region)
	}
	for i, p := range nf.Ports {
		field := fmt.Sprintf("providers.northflank.ports[%d]", i)
		if len(p.Name) > 8 {
			d.errorf(d.values[field+".name"], field+".name", "use a name of at most 8 characters, e.g. "+strconv.Quote(shortPortName(p.Name)),
				"port name %q is longer than Northflank's 8 characters", p.Name)
		}
		if p.Public && p.Protocol != "" && p.Protocol != "HTTP" {
			d.warnf(d.values[field+".public"], field+".public", "reach it from inside the project, or through a Northflank load balancer",
				"only HTTP ports can be public on Northflank: %s port %d is made private", p.Protocol, p.InternalPort)
		}
	}
}

// NearNorthflankRegion returns the region s probably means ("" when none): equal once dashes are ignored
// ("us-east-1" is us-east1), or the only region s is a prefix of ("us-east").
func NearNorthflankRegion(s string) string {
	flat := func(v string) string { return strings.ReplaceAll(strings.ToLower(v), "-", "") }
	var prefixed []string
	for _, r := range catalog.NorthflankRegions {
		if flat(r) == flat(s) {
			return r
		}
		if strings.HasPrefix(flat(r), flat(s)) {
			prefixed = append(prefixed, r)
		}
	}
	if len(prefixed) == 0 {
		return ""
	}
	slices.SortStableFunc(prefixed, func(a, b string) int { return len(a) - len(b) })
	return prefixed[0]
}

func shortPortName(s string) string {
	if len(s) <= 8 {
		return s
	}
	return strings.TrimRight(s[:8], "-")
}
