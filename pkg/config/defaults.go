package config

// Every default the project applies to sindri.yaml is applied from this file (contract §1.3.3,
// §1.3.4, §1.6): the shared ones here, each provider's own from its schema (its resources and
// its defaults function, in the provider's file). Load calls applyDefaults on a valid Config,
// so consumers read filled-in values and never default anything themselves.

// Container contract paths (contract §1.9).
const (
	// HomeDir is the developer's home in every Sindri image; Docker, Fly, DevPod and
	// Kubernetes persist it as a volume.
	HomeDir = "/alt/home/developer"
	// WorkspaceDir is the workspace inside HomeDir and the default workspace path.
	WorkspaceDir = HomeDir + "/workspace"
	// DefaultImageRegistry is the upstream Sindri image repository.
	DefaultImageRegistry = "ghcr.io/pacphi/sindri"
	// defaultImageTag is the released tag `sindri config init` writes (contract §1.3.2).
	defaultImageTag = "v3-latest"
)

// DefaultImageFor is the released Sindri image for distro, deployed when a config for a
// provider that runs an image names none (ubuntu: v3-latest; fedora and opensuse: their
// suffixed tags, following the upstream tag convention).
func DefaultImageFor(distro string) string {
	switch distro {
	case "fedora", "opensuse":
		return DefaultImageRegistry + ":" + defaultImageTag + "-" + distro
	}
	return DefaultImageRegistry + ":" + defaultImageTag
}

// DefaultSecretPermissions is the mode of a file secret that declares none (contract §1.5.1).
const DefaultSecretPermissions = "0644"

// ResourceDefaults returns provider p's memory and CPU count for a config that sets none.
func ResourceDefaults(p ProviderName) (memory string, cpus int) {
	rd := defaultsFor[p]
	return rd.memory, rd.cpus
}

// resourceDefaults are the per-provider values used when a setting is absent. There is no
// global default upstream: each provider has its own (contract §1.3.3 and §1.3.4).
type resourceDefaults struct {
	memory string
	cpus   int
	// workspaceSize and workspacePath apply when the volumes.workspace block is absent; a
	// block without size gets "10GB" and one without path gets WorkspaceDir, for every
	// provider. (Upstream defaults the path to the $HOME of the machine running the CLI,
	// which leaks a local path into Northflank; we do not copy that.)
	workspaceSize string
	workspacePath string
}

// Image verification defaults (contract §1.3.1).
const (
	defaultCertificateIdentity   = "https://github.com/pacphi/sindri"
	defaultCertificateOIDCIssuer = "https://token.actions.githubusercontent.com"
)

func setStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setPtr[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

// ensure sets *p to a new zero T when it is nil, and returns *p.
func ensure[T any](p **T) *T {
	if *p == nil {
		*p = new(T)
	}
	return *p
}

// applyDefaults fills c in place. It assumes c passed validation (provider is known).
func applyDefaults(c *Config) {
	prov := c.ProviderName()
	rd := defaultsFor[prov]
	dep := &c.Deployment
	setStr(&dep.Distro, "ubuntu")

	if ic := dep.ImageConfig; ic != nil {
		setStr(&ic.ResolutionStrategy, "semver")
		setPtr(&ic.AllowPrerelease, false)
		setPtr(&ic.VerifySignature, true)
		setPtr(&ic.VerifyProvenance, true)
		setStr(&ic.PullPolicy, "IfNotPresent")
		setStr(&ic.CertificateIdentity, defaultCertificateIdentity)
		setStr(&ic.CertificateOIDCIssuer, defaultCertificateOIDCIssuer)
	}

	if needsImage[prov] && dep.Image == "" && dep.ImageConfig == nil && (dep.BuildFromSource == nil || !dep.BuildFromSource.Enabled) {
		dep.Image = DefaultImageFor(dep.Distro)
	}

	// A provider without resource defaults (packer: the cloud block sizes the builder VM)
	// gets none, rather than zero values that look like settings.
	runsEnvironment := rd != resourceDefaults{}
	if runsEnvironment {
		setStr(&dep.Resources.Memory, rd.memory)
		setPtr(&dep.Resources.CPUs, rd.cpus)
	}
	if g := dep.Resources.GPU; g != nil {
		setStr(&g.Type, "nvidia")
		setPtr(&g.Count, 1)
		if g.Enabled {
			setStr(&g.Tier, "gpu-small") // upstream's fallback tier (Fly, RunPod)
		}
	}

	if ws := dep.Volumes.Workspace; ws != nil {
		setStr(&ws.Size, "10GB")
		setStr(&ws.Path, WorkspaceDir)
	} else if runsEnvironment {
		dep.Volumes.Workspace = &Workspace{Size: rd.workspaceSize, Path: rd.workspacePath}
	}

	setPtr(&c.Extensions.AutoInstall, true)

	for i := range c.Secrets {
		s := &c.Secrets[i]
		switch s.Source {
		case SecretSourceFile:
			setStr(&s.Permissions, DefaultSecretPermissions)
		case SecretSourceVault:
			setStr(&s.VaultMount, "secret")
		}
	}

	if s := schemaOf(prov); s != nil && s.defaults != nil {
		s.defaults(c)
	}
}
