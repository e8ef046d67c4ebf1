package config

// providerSchema is everything this package knows about one provider's part of sindri.yaml.
// Each provider keeps its entry, types, decoder, defaults and rules in its own file (fly.go,
// docker.go, ...), so adding a provider means adding one file and one row to providerSchemas,
// plus its field in Providers.
type providerSchema struct {
	// name is the deployment.provider value; aliases are other values meaning the same
	// provider (docker-compose), which ProviderName normalises to name.
	name    ProviderName
	aliases []ProviderName
	// block is the providers.<block> key the provider reads; blockAlias is an older spelling
	// decode also reads (providers.docker-compose), "" when there is none.
	block, blockAlias string
	// resources are the provider's resource and workspace defaults.
	resources resourceDefaults
	// needsImage is set for providers that run a prebuilt image; a config naming none gets the
	// released Sindri image (see needsImage).
	needsImage bool
	// noGPU, when set, is why deployment.resources.gpu.enabled is refused for this provider.
	noGPU string
	// zeroWorkspace accepts a zero deployment.volumes.workspace.size (it means "no volume").
	zeroWorkspace bool
	// unused lists settings that are accepted but have no effect, so users are told instead
	// of silently ignored (contract §1.6 UNUSED marks). Paths are canonical. Remove an entry
	// when the provider starts honouring the field. unusedHints says where the effective
	// value comes from, for fields that have one.
	unused      []string
	unusedHints map[string]string
	// decode reads the provider's block(s) from the providers mapping into p.
	decode func(d *decoder, m *mapView, p *Providers)
	// defaults fills the provider's block of a valid config whose provider this is; nil when
	// there is nothing to fill.
	defaults func(c *Config)
	// rules reports the provider's whole-file problems when it is the chosen provider; nil
	// when it has none.
	rules func(d *decoder, c *Config)
}

// providerSchemas is the one list of providers sindri.yaml knows, in the order of the
// contract's provider enum (§1.7). That order is the order of "valid: ..." hints and of
// decoding the providers block.
var providerSchemas = []providerSchema{
	dockerSchema,
	flySchema,
	devpodSchema,
	e2bSchema,
	kubernetesSchema,
	runpodSchema,
	northflankSchema,
	packerSchema,
}

// schemaOf returns the schema of the (normalised) provider p, or nil for an unknown one.
func schemaOf(p ProviderName) *providerSchema {
	for i := range providerSchemas {
		if providerSchemas[i].name == p {
			return &providerSchemas[i]
		}
	}
	return nil
}

// Views of providerSchemas used by the decoder, the defaults and the rules.
var (
	// providerValues are the valid deployment.provider values.
	providerValues = func() []string {
		var out []string
		for _, s := range providerSchemas {
			out = append(out, string(s.name))
			for _, a := range s.aliases {
				out = append(out, string(a))
			}
		}
		return out
	}()
	// defaultsFor holds each provider's resource defaults.
	defaultsFor = func() map[ProviderName]resourceDefaults {
		out := map[ProviderName]resourceDefaults{}
		for _, s := range providerSchemas {
			out[s.name] = s.resources
		}
		return out
	}()
	// needsImage lists the providers that run a prebuilt image. Upstream builds one from the
	// Sindri sources when none is named (contract §1.3.2 and its build-from-source table);
	// this action does not build, so such a config gets the released Sindri image for its
	// distro (DefaultImageFor, applied in defaults.go) with a warning. DevPod (devcontainer
	// image or its own default) and E2B (templates) do not need one.
	needsImage = func() map[ProviderName]bool {
		out := map[ProviderName]bool{}
		for _, s := range providerSchemas {
			if s.needsImage {
				out[s.name] = true
			}
		}
		return out
	}()
)
