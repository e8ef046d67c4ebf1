package config

import (
	"slices"
	"strings"
)

// FlyGPURetired is the day Fly.io stopped offering GPU machines
// (shared/spec/provider-apis/fly.md §6).
const FlyGPURetired = "2026-08-01"

// providerBlock names the providers.* block each provider reads.
var providerBlock = map[ProviderName]string{
	ProviderDocker: "docker", ProviderFly: "fly", ProviderDevPod: "devpod", ProviderE2B: "e2b",
	ProviderKubernetes: "kubernetes", ProviderRunPod: "runpod", ProviderNorthflank: "northflank",
}

// unusedFields lists, per provider, settings that are accepted but have no effect, so users
// are told instead of silently ignored (contract §1.6 UNUSED marks). Paths are canonical.
// Remove an entry here when a provider starts honouring the field.
var unusedFields = map[ProviderName][]string{
	ProviderFly:        {"providers.fly.highAvailability"},
	ProviderKubernetes: {"providers.kubernetes.ingress"},
	ProviderDevPod: {"providers.devpod.aws", "providers.devpod.gcp", "providers.devpod.azure",
		"providers.devpod.digitalocean", "providers.devpod.ssh", "providers.devpod.docker",
		"providers.devpod.kubernetes.nodeSelector"},
	ProviderE2B: {"providers.e2b.internetAccess", "providers.e2b.allowedDomains",
		"providers.e2b.blockedDomains", "providers.e2b.publicAccess"},
	ProviderRunPod: {"providers.runpod.gpuCount", "providers.runpod.volumeSizeGb",
		"providers.runpod.volumeMountPath", "providers.runpod.startSsh", "providers.runpod.cpuOnly",
		"providers.runpod.cpuInstanceId", "providers.runpod.templateId"},
	ProviderNorthflank: {"providers.northflank.gpuType", "providers.northflank.gpuCount",
		"providers.northflank.volumeSizeGb", "providers.northflank.volumeMountPath",
		"providers.northflank.region", "providers.northflank.registryCredentials",
		"providers.northflank.ports", "providers.northflank.healthCheck", "providers.northflank.autoScaling"},
}

// unusedHints explains where the effective value comes from, for fields that have one.
var unusedHints = map[string]string{
	"providers.runpod.gpuCount":            "the GPU count comes from deployment.resources.gpu.count",
	"providers.runpod.volumeSizeGb":        "the volume size comes from deployment.volumes.workspace.size",
	"providers.runpod.cpuOnly":             "a CPU pod is used whenever deployment.resources.gpu.enabled is not true",
	"providers.northflank.volumeSizeGb":    "the volume size comes from deployment.volumes.workspace.size",
	"providers.northflank.volumeMountPath": "the mount path comes from deployment.volumes.workspace.path",
}

// checkRules applies the rules that need the whole file: provider-specific refusals and
// warnings about settings the chosen provider will not read.
func (d *decoder) checkRules(c *Config) {
	prov := c.ProviderName()
	if _, known := providerBlock[prov]; !known {
		return // missing or invalid provider is already an error
	}
	gpuEnabled := c.Deployment.Resources.GPU != nil && c.Deployment.Resources.GPU.Enabled
	if gpuEnabled {
		at := d.present["deployment.resources.gpu.enabled"]
		switch prov {
		case ProviderFly:
			d.errorf(at, "deployment.resources.gpu.enabled", "deploy GPU workloads with runpod, northflank, kubernetes or docker",
				"Fly.io GPU machines are no longer available (retired on %s)", FlyGPURetired)
		case ProviderE2B:
			d.errorf(at, "deployment.resources.gpu.enabled", "deploy GPU workloads with runpod, northflank, kubernetes or docker",
				"E2B sandboxes have no GPUs")
		}
		if c.Deployment.Resources.GPU.Type == "amd" {
			d.warnf(d.present["deployment.resources.gpu.type"], "deployment.resources.gpu.type", "",
				"no provider supports AMD GPUs; the GPU is requested as an NVIDIA device")
		}
	}
	if ws := c.Deployment.Volumes.Workspace; ws != nil && prov != ProviderNorthflank && isZeroSize(ws.Size) {
		d.errorf(d.present["deployment.volumes.workspace.size"], "deployment.volumes.workspace.size", "give a size such as 10GB",
			"a zero workspace size only means something to northflank (no volume); %s needs a size", prov)
	}
	d.checkImage(c, prov)
	if ic := c.Deployment.ImageConfig; ic != nil && strings.Contains(ic.Registry, "://") {
		d.errorf(d.present["deployment.image_config.registry"], "deployment.image_config.registry",
			"write the repository as images name it, e.g. ghcr.io/owner/image", "%q has a URL scheme; an image repository has none", ic.Registry)
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
	if rp := c.Providers.RunPod; prov == ProviderRunPod && rp != nil && rp.GPUTypeID != "" && !gpuEnabled {
		d.warnf(d.present["providers.runpod.gpuTypeId"], "providers.runpod.gpuTypeId", "set deployment.resources.gpu.enabled: true for a GPU pod",
			"gpuTypeId is ignored: without deployment.resources.gpu.enabled a CPU pod is created")
	}

	// Blocks for other providers.
	want := providerBlock[prov]
	for _, block := range []string{"fly", "docker", "docker-compose", "kubernetes", "devpod", "e2b", "runpod", "northflank"} {
		k, ok := d.present["providers."+block]
		if !ok || block == want || (want == "docker" && block == "docker-compose") {
			continue
		}
		d.warnf(k, "providers."+block, "", "providers.%s is ignored: deployment.provider is %s", block, c.Deployment.Provider)
	}
	if k, ok := d.present["providers.k8s"]; ok {
		d.warnf(k, "providers.k8s", "create the cluster yourself; deploy with provider kubernetes, or devpod with type kubernetes",
			"providers.k8s describes a local kind/k3d cluster and is not read when deploying")
	}

	// Fields the chosen provider does not read.
	fields := append(slices.Clone(unusedFields[prov]), "deployment.resources.gpu.memory")
	if prov != ProviderDocker { // the Docker provider pulls by it
		fields = append(fields, "deployment.image_config.pull_policy")
	}
	for _, f := range fields {
		k, ok := d.present[f]
		shown := f
		if !ok && prov == ProviderDocker {
			shown = strings.Replace(f, "providers.docker.", "providers.docker-compose.", 1)
			k, ok = d.present[shown]
		}
		if !ok {
			continue
		}
		d.warnf(k, shown, unusedHints[f], "%s has no effect with provider %s", shown[strings.LastIndex(shown, ".")+1:], prov)
	}
}

// needsImage lists the providers that run a prebuilt image. Upstream builds one from the
// Sindri sources when none is named (contract §1.3.2 and its build-from-source table); this
// action does not build, so such a config gets the released Sindri image for its distro
// (DefaultImageFor, applied in defaults.go) with a warning. DevPod (devcontainer image or its
// own default) and E2B (templates) do not need one.
var needsImage = map[ProviderName]bool{ProviderDocker: true, ProviderFly: true, ProviderKubernetes: true,
	ProviderRunPod: true, ProviderNorthflank: true}

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
