package config

// Every default the project applies to sindri.yaml lives in this file (contract §1.3.3,
// §1.3.4, §1.6). Load calls applyDefaults on a valid Config, so consumers read filled-in
// values and never default anything themselves.

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

// Docker provider defaults (contract §1.6 providers.docker), also read by the Docker provider
// for configs built by hand.
const (
	DockerNetwork         = "bridge"
	DockerRestart         = "unless-stopped"
	DockerRuntime         = "auto"
	DockerDinDMode        = "auto"
	DockerDinDDriver      = "auto"
	DockerDinDStorageSize = "20GB"
)

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

var defaultsFor = map[ProviderName]resourceDefaults{
	ProviderDocker:     {memory: "4GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	ProviderDevPod:     {memory: "4GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	ProviderKubernetes: {memory: "4GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	ProviderFly:        {memory: "2GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	ProviderE2B:        {memory: "2GB", cpus: 2, workspaceSize: "10GB", workspacePath: WorkspaceDir},
	ProviderRunPod:     {memory: "2GB", cpus: 2, workspaceSize: "50GB", workspacePath: "/workspace"},
	ProviderNorthflank: {memory: "2GB", cpus: 2, workspaceSize: "10GB", workspacePath: "/workspace"},
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

	setStr(&dep.Resources.Memory, rd.memory)
	setPtr(&dep.Resources.CPUs, rd.cpus)
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
	} else {
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

	p := &c.Providers
	switch prov {
	case ProviderFly:
		if p.Fly == nil {
			p.Fly = &FlyConfig{}
		}
		f := p.Fly
		setStr(&f.Region, "sjc")
		setPtr(&f.AutoStopMachines, true)
		setPtr(&f.AutoStartMachines, true)
		setStr(&f.CPUKind, "shared")
		setPtr(&f.SSHPort, 10022)
		setStr(&f.Organization, "personal")
		setPtr(&f.HighAvailability, false)
	case ProviderDocker:
		if p.Docker == nil {
			p.Docker = &DockerConfig{}
		}
		dc := p.Docker
		setStr(&dc.Network, DockerNetwork)
		setStr(&dc.Restart, DockerRestart)
		setStr(&dc.Runtime, DockerRuntime)
		if dc.DinD == nil {
			dc.DinD = &DinDConfig{}
		}
		setStr(&dc.DinD.Mode, DockerDinDMode)
		setStr(&dc.DinD.StorageDriver, DockerDinDDriver)
		setStr(&dc.DinD.StorageSize, DockerDinDStorageSize)
	case ProviderKubernetes:
		if p.Kubernetes == nil {
			p.Kubernetes = &KubernetesConfig{}
		}
		setStr(&p.Kubernetes.Namespace, "default")
	case ProviderDevPod:
		if p.DevPod == nil {
			p.DevPod = &DevPodConfig{Type: "docker"}
		}
		dp := p.DevPod
		if dp.Type == "kubernetes" && dp.Kubernetes == nil {
			dp.Kubernetes = &DevPodKubernetes{}
		}
		if dp.Kubernetes != nil {
			setStr(&dp.Kubernetes.Namespace, "devpod")
		}
	case ProviderE2B:
		if p.E2B == nil {
			p.E2B = &E2BConfig{}
		}
		e := p.E2B
		setStr(&e.TemplateAlias, c.Name) // upstream sanitises name; a valid name is already an alias
		setPtr(&e.ReuseTemplate, true)
		setPtr(&e.Timeout, 300)
		setPtr(&e.AutoPause, true)
		setPtr(&e.AutoResume, true)
		setPtr(&e.InternetAccess, true)
		setPtr(&e.PublicAccess, false)
		setPtr(&e.BuildOnDeploy, false)
	case ProviderRunPod:
		if p.RunPod == nil {
			p.RunPod = &RunPodConfig{}
		}
		r := p.RunPod
		setPtr(&r.GPUCount, 1)
		setPtr(&r.ContainerDiskGB, 20)
		setPtr(&r.VolumeSizeGB, 50)
		setStr(&r.VolumeMountPath, "/workspace")
		setStr(&r.CloudType, "COMMUNITY")
		setPtr(&r.SpotBid, 0)
		setPtr(&r.StartSSH, true)
		setPtr(&r.CPUOnly, false)
	case ProviderNorthflank:
		if p.Northflank == nil {
			p.Northflank = &NorthflankConfig{ProjectName: "sindri-" + c.Name}
		}
		n := p.Northflank
		setStr(&n.ServiceName, c.Name)
		// ComputePlan stays empty when unset: the provider derives it from resources (the
		// upstream derivation is defective, contract §6.2.4, so it is the provider's call).
		setPtr(&n.GPUCount, 1)
		setPtr(&n.Instances, 1)
		setPtr(&n.VolumeSizeGB, 10)
		setStr(&n.VolumeMountPath, "/workspace")
		for i := range n.Ports {
			setStr(&n.Ports[i].Protocol, "HTTP")
		}
		if h := n.HealthCheck; h != nil {
			setStr(&h.Type, "tcp")
			setPtr(&h.InitialDelaySeconds, 10)
			setPtr(&h.PeriodSeconds, 15)
			setPtr(&h.FailureThreshold, 3)
		}
		if a := n.AutoScaling; a != nil {
			setPtr(&a.MinInstances, 1)
			setPtr(&a.MaxInstances, 3)
			setPtr(&a.TargetCPUUtilization, 70)
			setPtr(&a.TargetMemoryUtilization, 80)
		}
	}
}
