package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The Northflank managed-cloud catalogue the config is checked against: GPU types with their
// allowed counts and regions, the tiers that name them, and the regions
// (shared/spec/provider-apis/runpod-northflank.md B7 and B9, from GET /v1/plans and
// GET /v1/regions). Compute plan ids and prices live with the provider
// (pkg/providers/northflank/plans.go).

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
}

// NorthflankGPUTypes is the managed-cloud GPU catalogue, cheapest first.
var NorthflankGPUTypes = []NorthflankGPUType{
	{"l4-24", "NVIDIA L4 24 GB", []int{1, 2, 4, 8}, []string{"europe-west", "us-central", "europe-west-netherlands", "asia-southeast", "us-east1", "us-west", "asia-northeast", "europe-west-frankfurt"}},
	{"a100-40", "NVIDIA A100 40 GB", []int{1, 2, 4, 8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "asia-northeast"}},
	{"a100-80", "NVIDIA A100 80 GB", []int{1, 2, 4, 8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "us-east1"}},
	{"h100-80", "NVIDIA H100 80 GB", []int{1, 2, 4, 8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "us-east1", "us-west", "asia-northeast", "europe-west-frankfurt"}},
	{"rtx_pro_6000-96", "NVIDIA RTX PRO 6000 96 GB", []int{8}, []string{"europe-west", "us-central", "us-west", "us-east-ohio", "asia-south-delhi"}},
	{"h200-141", "NVIDIA H200 141 GB", []int{8}, []string{"us-central", "europe-west-netherlands", "us-east1", "us-west"}},
	{"b200-180", "NVIDIA B200 180 GB", []int{8}, []string{"us-central", "europe-west-netherlands", "asia-southeast", "us-east1", "asia-northeast"}},
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

// NorthflankGPUTypeByID returns the catalogue entry of gpuType id.
func NorthflankGPUTypeByID(id string) (NorthflankGPUType, bool) {
	i := slices.IndexFunc(NorthflankGPUTypes, func(g NorthflankGPUType) bool { return g.ID == id })
	if i < 0 {
		return NorthflankGPUType{}, false
	}
	return NorthflankGPUTypes[i], true
}

// NorthflankTiers returns the GPU tiers Northflank understands, sorted.
func NorthflankTiers() []string { return slices.Sorted(maps.Keys(northflankTiers)) }

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
		if _, ok := NorthflankGPUTypeByID(override); ok {
			ch.Type = override
		} else if id, ok := northflankGPUAliases[strings.ToLower(override)]; ok {
			ch.Type, ch.Note = id, fmt.Sprintf("gpuType %q is upstream's spelling; Northflank's id is %q", override, id)
		} else {
			ch.Err = fmt.Sprintf("gpuType %q is not a Northflank GPU type (valid: %s)", override, strings.Join(northflankGPUIDs(), ", "))
			return ch
		}
	default:
		tier := "gpu-small"
		if g := c.Deployment.Resources.GPU; g != nil && g.Tier != "" {
			tier = g.Tier
		}
		ch.From, ch.Field = "deployment.resources.gpu.tier", "deployment.resources.gpu.tier"
		id, ok := northflankTiers[tier]
		if !ok {
			ch.Err = fmt.Sprintf("gpu tier %q has no Northflank GPU (Northflank tiers: %s; or set providers.northflank.gpuType to one of %s)",
				tier, strings.Join(NorthflankTiers(), ", "), strings.Join(northflankGPUIDs(), ", "))
			return ch
		}
		ch.Type = id
	}
	g, _ := NorthflankGPUTypeByID(ch.Type)
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

func northflankGPUIDs() []string {
	out := make([]string, len(NorthflankGPUTypes))
	for i, g := range NorthflankGPUTypes {
		out[i] = g.ID
	}
	return out
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
	if nf.Region != "" && !slices.Contains(NorthflankRegions, nf.Region) {
		hint := "valid: " + strings.Join(NorthflankRegions, ", ")
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
	for _, r := range NorthflankRegions {
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
