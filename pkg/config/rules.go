package config

import (
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/internal/excerpt"
)

// checkRules applies the rules that need the whole file: provider-specific refusals and
// warnings about settings the chosen provider will not read.
func (d *decoder) checkRules(c *Config) {
	prov := c.ProviderName()
	schema := schemaOf(prov)
	if schema == nil {
		return // missing or invalid provider is already an error
	}
	if c.GPUEnabled() {
		if schema.noGPU != "" {
			d.errorf(d.present["deployment.resources.gpu.enabled"], "deployment.resources.gpu.enabled",
				"deploy GPU workloads with runpod, northflank, kubernetes or docker", "%s", schema.noGPU)
		}
		if c.Deployment.Resources.GPU.Type == "amd" {
			d.warnf(d.present["deployment.resources.gpu.type"], "deployment.resources.gpu.type", "",
				"no provider supports AMD GPUs; the GPU is requested as an NVIDIA device")
		}
	}
	if ws := c.Deployment.Volumes.Workspace; ws != nil && !schema.zeroWorkspace && isZeroSize(ws.Size) {
		d.errorf(d.present["deployment.volumes.workspace.size"], "deployment.volumes.workspace.size", "give a size such as 10GB",
			"a zero workspace size only means something to northflank (no volume); %s needs a size", prov)
	}
	gpuModelRules(d, c, prov)
	d.checkImage(c, prov)
	if ic := c.Deployment.ImageConfig; ic != nil && strings.Contains(ic.Registry, "://") {
		d.errorf(d.present["deployment.image_config.registry"], "deployment.image_config.registry",
			"write the repository as images name it, e.g. ghcr.io/owner/image", "%s has a URL scheme; an image repository has none", excerpt.Quote(ic.Registry))
	}
	if ic := c.Deployment.ImageConfig; ic != nil && ic.Version != "" && (ic.ResolutionStrategy == "" || ic.ResolutionStrategy == "semver") {
		if _, err := ParseVersionReq(ic.Version); err != nil {
			d.errorf(d.present["deployment.image_config.version"], "deployment.image_config.version",
				`write a Cargo-style version requirement such as "^3.0.0", "~3.1", ">=3.0.0, <4" or "3.2.1"`, "%v", err)
		}
	}
	if c.Deployment.ImageConfig != nil && c.Deployment.Image != "" {
		d.warnf(d.present["deployment.image"], "deployment.image", "remove one of them",
			"deployment.image is ignored because deployment.image_config is set")
	}
	if schema.rules != nil {
		schema.rules(d, c)
	}

	// Blocks for other providers.
	for _, s := range providerSchemas {
		if s.name == prov {
			continue
		}
		for _, block := range []string{s.block, s.blockAlias} {
			if k, ok := d.present["providers."+block]; ok && block != "" {
				d.warnf(k, "providers."+block, "", "providers.%s is ignored: deployment.provider is %s", block, c.Deployment.Provider)
			}
		}
	}
	d.k8sClusterRules()

	// Fields the chosen provider does not read.
	fields := append(slices.Clone(schema.unused), "deployment.resources.gpu.memory")
	if prov != ProviderDocker { // the Docker provider pulls by it
		fields = append(fields, "deployment.image_config.pull_policy")
	}
	for _, f := range fields {
		k, ok := d.present[f]
		shown := f
		if !ok && schema.blockAlias != "" {
			shown = strings.Replace(f, "providers."+schema.block+".", "providers."+schema.blockAlias+".", 1)
			k, ok = d.present[shown]
		}
		if !ok {
			continue
		}
		d.warnf(k, shown, schema.unusedHints[f], "%s has no effect with provider %s", shown[strings.LastIndex(shown, ".")+1:], prov)
	}
}

// checkImage refuses buildFromSource, which this action does not carry out, and warns when
// no image is named and the released one will be deployed.
func (d *decoder) checkImage(c *Config, prov ProviderName) {
	if b := c.Deployment.BuildFromSource; b != nil && b.Enabled {
		d.errorf(d.present["deployment.buildFromSource.enabled"], "deployment.buildFromSource.enabled",
			"build and push the image in an earlier workflow step (or load it on the engine), then set deployment.image",
			"building the image from source is not supported by this action")
		return
	}
	if !needsImage[prov] || c.Deployment.Image != "" || c.Deployment.ImageConfig != nil {
		return
	}
	at, ok := d.present["deployment"]
	if !ok {
		at = d.present["deployment.provider"]
	}
	d.warnf(at, "deployment.image", "set deployment.image (or deployment.image_config) to pin the image",
		"no image named: the released Sindri image %s is deployed (upstream would build one from source; this action does not build)",
		DefaultImageFor(c.Deployment.Distro))
}
