package config

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Patterns from the upstream schema (contract §1.2-§1.6).
var (
	versionRE    = regexp.MustCompile(`^\d+\.\d+$`)
	nameRE       = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	secretNameRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	permRE       = regexp.MustCompile(`^0[0-7]{3}$`)
	k8sVersionRE = regexp.MustCompile(`^v?\d+\.\d+\.\d+$`)
	nfPlanRE     = regexp.MustCompile(`^nf-compute-\d+(-\d+)?$`)
	digestRE     = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// MaxNameLength bounds name: it becomes DNS labels and container names (RFC 1123 label).
const MaxNameLength = 63

const noMax = math.MaxInt32

// Enum values (contract §1.7); serde matches them exactly, and so do we.
var (
	providerValues = []string{"docker", "docker-compose", "fly", "devpod", "e2b", "kubernetes", "runpod", "northflank"}
	gpuTierValues  = []string{"gpu-small", "gpu-medium", "gpu-large", "gpu-xlarge"}
	profileValues  = []string{"minimal", "fullstack", "anthropic-dev", "systems", "enterprise", "devops", "mobile",
		"visionflow-core", "visionflow-data-scientist", "visionflow-creative", "visionflow-full"}
)

func (d *decoder) decodeConfig(root *yaml.Node) *Config {
	c := &Config{}
	m := d.mapping(root, "")
	if m == nil {
		return c
	}
	m.special = map[string]string{
		"metadata": "top-level metadata (a Sindri V2 habit) is informational only",
	}
	m.required("version", `add version: "3.0"`)
	m.str("version", &c.Version, checkVersion)
	m.required("name", "add a name such as my-env (lowercase letters, digits and '-')")
	m.str("name", &c.Name, pattern(nameRE, "a valid name (lowercase letter first, then lowercase letters, digits or '-')"), maxLen(MaxNameLength))
	m.required("deployment", "add deployment: {provider: docker}")
	m.obj("deployment", nil, func(s *mapView) { d.deployment(s, &c.Deployment) })
	if !m.has("extensions") {
		d.warnf(keyOrNode(m, "extensions"), "extensions", "add extensions: {profile: minimal} (upstream Sindri refuses a file without an extensions block)",
			"extensions block is missing; no extension profile will be installed")
	}
	m.obj("extensions", nil, func(s *mapView) { d.extensions(s, &c.Extensions) })
	if items, path, ok := m.seq("secrets"); ok {
		c.Secrets = d.secrets(m, items, path)
	}
	m.obj("providers", nil, func(s *mapView) { d.providers(s, &c.Providers) })
	m.finish()
	return c
}

// keyOrNode returns the key node of key if present (even null), else the mapping itself.
func keyOrNode(m *mapView, key string) *yaml.Node {
	if e, ok := m.entries[key]; ok {
		return e.k
	}
	return m.node
}

func checkVersion(s string) (Severity, string, string) {
	if !versionRE.MatchString(s) {
		return SeverityError, fmt.Sprintf("%q is not a config version", s), `use "3.0" (Sindri V3) or "1.0" (Sindri V2)`
	}
	if major, _, _ := strings.Cut(s, "."); major != "1" && major != "3" {
		return SeverityWarning, fmt.Sprintf("unknown config version %q; read as a V3 file", s), `use "3.0" (Sindri V3) or "1.0" (Sindri V2)`
	}
	return 0, "", ""
}

func checkProvider(s string) (Severity, string, string) {
	if s == "packer" {
		return SeverityError, `"packer" is not a deployment provider`,
			"VM images (AWS, Azure, GCP, OCI, Alibaba) are built by the vm image job, not by deployment.provider; valid: " + strings.Join(providerValues, ", ")
	}
	return enum("provider", providerValues...)(s)
}

func (d *decoder) deployment(m *mapView, dep *Deployment) {
	m.special = map[string]string{
		"gpu": "GPU settings belong under deployment.resources.gpu; upstream Sindri ignores deployment.gpu too",
	}
	m.required("provider", "valid: "+strings.Join(providerValues, ", "))
	var p string
	if m.str("provider", &p, checkProvider) {
		dep.Provider = ProviderName(p)
	}
	m.str("distro", &dep.Distro, enum("distro", "ubuntu", "fedora", "opensuse"))
	m.str("image", &dep.Image)
	m.obj("image_config", nil, func(s *mapView) {
		ic := &ImageConfig{}
		dep.ImageConfig = ic
		s.required("registry", "e.g. registry: ghcr.io/pacphi/sindri")
		s.str("registry", &ic.Registry)
		s.str("version", &ic.Version)
		s.str("tag_override", &ic.TagOverride)
		s.str("digest", &ic.Digest, pattern(digestRE, "an image digest"))
		s.str("resolution_strategy", &ic.ResolutionStrategy, enum("resolution strategy", "semver", "latest-stable", "pin-to-cli", "explicit"))
		s.boolp("allow_prerelease", nil, &ic.AllowPrerelease)
		s.boolp("verify_signature", nil, &ic.VerifySignature)
		s.boolp("verify_provenance", nil, &ic.VerifyProvenance)
		s.str("pull_policy", &ic.PullPolicy, enum("pull policy", "Always", "IfNotPresent", "Never"))
		s.str("certificate_identity", &ic.CertificateIdentity)
		s.str("certificate_oidc_issuer", &ic.CertificateOIDCIssuer)
	})
	m.obj("buildFromSource", nil, func(s *mapView) {
		b := &BuildFromSource{}
		dep.BuildFromSource = b
		s.boolean("enabled", &b.Enabled)
		s.str("gitRef", &b.GitRef)
	})
	m.obj("resources", nil, func(s *mapView) {
		r := &dep.Resources
		s.str("memory", &r.Memory, sizeCheck(false))
		s.intp("cpus", nil, &r.CPUs, 1, noMax)
		s.obj("gpu", nil, func(g *mapView) {
			gpu := &GPU{}
			r.GPU = gpu
			g.boolean("enabled", &gpu.Enabled)
			g.str("type", &gpu.Type, enum("gpu type", "nvidia", "amd"))
			g.intp("count", nil, &gpu.Count, 1, 8)
			g.str("tier", &gpu.Tier, gpuTier)
			g.str("memory", &gpu.Memory, sizeCheck(false))
		})
	})
	m.obj("volumes", nil, func(s *mapView) {
		s.obj("workspace", nil, func(w *mapView) {
			ws := &Workspace{}
			dep.Volumes.Workspace = ws
			w.str("path", &ws.Path)
			w.str("size", &ws.Size, sizeCheck(true))
		})
	})
}

func gpuTier(s string) (Severity, string, string) {
	sev, msg, hint := enum("gpu tier", gpuTierValues...)(s)
	if msg != "" && !strings.HasPrefix(hint, "values are case") {
		hint += "; for an exact RunPod GPU model set providers.runpod.gpuTypeId"
	}
	return sev, msg, hint
}

func (d *decoder) extensions(m *mapView, ext *Extensions) {
	m.str("profile", &ext.Profile, func(s string) (Severity, string, string) {
		sev, msg, hint := enum("extension profile", profileValues...)(s)
		if s == "ai-dev" {
			hint = "the V2 profile ai-dev does not exist in Sindri V3; use anthropic-dev, or list the extensions under extensions.active"
		}
		return sev, msg, hint
	})
	m.strList("active", nil, &ext.Active)
	m.strList("additional", nil, &ext.Additional)
	m.boolp("auto_install", nil, &ext.AutoInstall)
	if k, v, path, ok := m.get("autoInstall"); ok {
		if b, ok := m.boolValue(v, path); ok {
			switch {
			case ext.AutoInstall == nil:
				ext.AutoInstall = &b
				d.warnf(k, path, "rename it to auto_install",
					"autoInstall is the camelCase spelling of auto_install: honoured here, but upstream Sindri ignores it and its schema rejects it")
			case *ext.AutoInstall != b:
				d.errorf(k, path, "keep only auto_install", "autoInstall (%t) contradicts auto_install (%t)", b, *ext.AutoInstall)
			default:
				d.warnf(k, path, "remove autoInstall", "autoInstall duplicates auto_install")
			}
		}
	}
	hasProfile, hasActive, hasAdditional := m.has("profile"), m.has("active"), m.has("additional")
	switch {
	case hasProfile && hasActive:
		d.errorf(keyOrNode(m, "active"), join(m.path, "active"), "use profile (optionally with additional), or active alone",
			"profile and active are mutually exclusive")
	case hasActive && hasAdditional:
		d.errorf(keyOrNode(m, "additional"), join(m.path, "additional"), "move these names into extensions.active",
			"additional adds to a profile; with active, list every extension in active")
	case !hasProfile && !hasActive:
		d.warnf(m.node, m.path, "set extensions.profile (e.g. minimal) or extensions.active",
			"neither profile nor active is set; no extensions will be installed (upstream's schema requires one of them)")
	}
}

var secretSources = []string{"env", "file", "vault", "s3"}

// secretFieldSource says which source each optional secret field belongs to.
var secretFieldSource = map[string]SecretSource{
	"fromFile": SecretSourceEnv, "path": SecretSourceFile, "mountPath": SecretSourceFile,
	"permissions": SecretSourceFile, "vaultPath": SecretSourceVault, "vaultKey": SecretSourceVault,
	"vaultMount": SecretSourceVault, "s3Path": SecretSourceS3,
}

func (d *decoder) secrets(parent *mapView, items []*yaml.Node, path string) []Secret {
	out := make([]Secret, 0, len(items))
	type firstDecl struct{ index, line int }
	seen := map[string]firstDecl{}
	for i, it := range items {
		p := idx(path, i)
		m := d.mapping(it, p)
		if m == nil {
			continue
		}
		var s Secret
		m.required("name", "e.g. name: GITHUB_TOKEN")
		if m.str("name", &s.Name, pattern(secretNameRE, "an environment variable name (uppercase letter first, then A-Z, 0-9 or _)")) {
			// The secrets resolver refuses duplicate names, so this is an error here too.
			v := resolve(m.entries["name"].v)
			if first, dup := seen[s.Name]; dup {
				d.errorf(v, join(p, "name"), fmt.Sprintf("first declared at line %d; remove one of them or rename it", first.line),
					"secret %s is declared twice (first as %s)", s.Name, idx(path, first.index))
			} else {
				seen[s.Name] = firstDecl{i, v.Line}
			}
		}
		m.required("source", "valid: env, file, vault")
		var src string
		if m.str("source", &src, enum("secret source", secretSources...)) {
			s.Source = SecretSource(src)
		}
		m.str("fromFile", &s.FromFile)
		m.boolean("required", &s.Required)
		m.str("path", &s.Path)
		m.str("mountPath", &s.MountPath)
		m.str("permissions", &s.Permissions, pattern(permRE, "octal file permissions"))
		m.str("vaultPath", &s.VaultPath)
		m.str("vaultKey", &s.VaultKey)
		m.str("vaultMount", &s.VaultMount)
		m.str("s3Path", &s.S3Path)
		m.finish()
		if s.Source == "" {
			out = append(out, s)
			continue
		}
		switch s.Source {
		case SecretSourceFile:
			m.required("path", "the local file to read, relative to sindri.yaml")
			m.required("mountPath", "where the file appears in the environment, e.g. /secrets/key.pem")
			d.checkMountPath(m, p, s.MountPath)
		case SecretSourceVault:
			m.required("vaultPath", "the KV v2 path, e.g. dev/kubeconfig")
			m.required("vaultKey", "the key inside the Vault secret")
			mount := s.VaultMount
			if mount == "" {
				mount = "secret"
			}
			if strings.HasPrefix(strings.TrimPrefix(s.VaultPath, "/"), mount+"/data/") {
				d.warnf(resolve(m.entries["vaultPath"].v), join(p, "vaultPath"),
					fmt.Sprintf("write vaultPath without the %q prefix", mount+"/data/"),
					"vaultPath starts with %q, which the KV v2 API adds itself; the prefix is dropped and the secret is read from %s/data/%s",
					mount+"/data/", mount, strings.TrimPrefix(strings.TrimPrefix(s.VaultPath, "/"), mount+"/data/"))
			}
		case SecretSourceS3:
			k := resolve(m.entries["source"].v)
			if s.Required {
				d.errorf(k, join(p, "source"), "use env, file or vault",
					"the s3 secret source is not implemented (upstream fails on it too), and this secret is required")
			} else {
				d.warnf(k, join(p, "source"), "use env, file or vault",
					"the s3 secret source is not implemented; this optional secret will be skipped")
			}
		}
		for _, name := range m.order {
			if want, ok := secretFieldSource[name]; ok && want != s.Source && m.has(name) {
				d.warnf(m.entries[name].k, join(p, name), "", "%s is only used with source: %s; ignored for source: %s", name, want, s.Source)
			}
		}
		out = append(out, s)
	}
	return out
}

// checkMountPath refuses a file secret's mountPath that is not absolute and clean, as the
// secrets resolver does (an empty one is left to the required-key check).
func (d *decoder) checkMountPath(m *mapView, secretPath, mp string) {
	if mp == "" || (path.IsAbs(mp) && path.Clean(mp) == mp) {
		return
	}
	hint := "write an absolute path without . or .. parts or a trailing /, e.g. /secrets/key.pem"
	if c := path.Clean("/" + mp); c != "/" {
		hint = fmt.Sprintf("write an absolute path without . or .. parts or a trailing /, e.g. %s", c)
	}
	d.errorf(resolve(m.entries["mountPath"].v), join(secretPath, "mountPath"), hint,
		"mountPath %q must be an absolute, clean path", mp)
}

func (d *decoder) providers(m *mapView, p *Providers) {
	m.special = map[string]string{
		"packer": "VM images are built by the vm image job; providers.packer is not read when deploying",
	}
	m.obj("fly", nil, func(s *mapView) { p.Fly = d.fly(s) })
	m.obj("docker", nil, func(s *mapView) { p.Docker = d.docker(s) })
	if k, v, path, ok := m.get("docker-compose"); ok {
		if p.Docker != nil || m.has("docker") {
			d.errorf(k, path, "merge its settings into providers.docker and delete providers.docker-compose",
				"providers.docker-compose (Sindri V2 spelling) and providers.docker are both set")
		} else if s := d.mapping(v, path); s != nil {
			d.warnf(k, path, "rename it to providers.docker",
				"providers.docker-compose is the Sindri V2 name of providers.docker; read as providers.docker (upstream V3 drops it, losing its port mappings)")
			p.Docker = d.docker(s)
			s.finish()
		}
	}
	m.obj("kubernetes", nil, func(s *mapView) { p.Kubernetes = d.kubernetes(s) })
	m.obj("devpod", nil, func(s *mapView) { p.DevPod = d.devpod(s) })
	m.obj("k8s", nil, func(s *mapView) { p.K8s = d.k8s(s) })
	m.obj("e2b", nil, func(s *mapView) { p.E2B = d.e2b(s) })
	m.obj("runpod", nil, func(s *mapView) { p.RunPod = d.runpod(s) })
	m.obj("northflank", nil, func(s *mapView) { p.Northflank = d.northflank(s) })
}

func (d *decoder) fly(m *mapView) *FlyConfig {
	c := &FlyConfig{}
	m.str("region", &c.Region)
	m.boolp("autoStopMachines", nil, &c.AutoStopMachines)
	m.boolp("autoStartMachines", nil, &c.AutoStartMachines)
	m.str("cpuKind", &c.CPUKind, enum("cpu kind", "shared", "performance"))
	m.intp("sshPort", nil, &c.SSHPort, 1024, 65535)
	m.str("organization", &c.Organization)
	m.boolp("highAvailability", nil, &c.HighAvailability)
	return c
}

func (d *decoder) docker(m *mapView) *DockerConfig {
	c := &DockerConfig{}
	m.str("network", &c.Network, enum("network mode", "bridge", "host", "none"))
	m.str("restart", &c.Restart, enum("restart policy", "no", "always", "on-failure", "unless-stopped"))
	d.dockerPorts(m, &c.Ports)
	m.boolean("privileged", &c.Privileged)
	m.strList("extraHosts", nil, &c.ExtraHosts)
	m.str("runtime", &c.Runtime, enum("runtime", "runc", "sysbox-runc", "auto"))
	m.obj("dind", nil, func(s *mapView) {
		dd := &DinDConfig{}
		c.DinD = dd
		s.boolean("enabled", &dd.Enabled)
		s.str("mode", &dd.Mode, enum("dind mode", "sysbox", "privileged", "socket", "auto"))
		s.str("storageDriver", &dd.StorageDriver, enum("storage driver", "auto", "overlay2", "fuse-overlayfs", "vfs"))
		s.str("storageSize", &dd.StorageSize, sizeCheck(false))
	})
	return c
}

func (d *decoder) kubernetes(m *mapView) *KubernetesConfig {
	c := &KubernetesConfig{}
	m.str("namespace", &c.Namespace)
	m.str("storageClass", &c.StorageClass)
	m.obj("ingress", nil, func(s *mapView) {
		c.Ingress = &IngressConfig{}
		s.boolean("enabled", &c.Ingress.Enabled)
		s.str("hostname", &c.Ingress.Hostname)
	})
	return c
}

var devpodTypes = []string{"aws", "gcp", "azure", "digitalocean", "kubernetes", "ssh", "docker"}

func (d *decoder) devpod(m *mapView) *DevPodConfig {
	c := &DevPodConfig{}
	m.required("type", "valid: "+strings.Join(devpodTypes, ", "))
	m.str("type", &c.Type, enum("devpod type", devpodTypes...))
	m.str("buildRepository", &c.BuildRepository)
	m.obj("aws", nil, func(s *mapView) {
		a := &DevPodAWS{}
		c.AWS = a
		s.str("region", &a.Region)
		s.str("instanceType", &a.InstanceType)
		s.intp("diskSize", nil, &a.DiskSize, 0, noMax)
		s.boolp("useSpot", nil, &a.UseSpot)
		s.str("subnetId", &a.SubnetID)
		s.str("securityGroupId", &a.SecurityGroupID)
	})
	m.obj("gcp", nil, func(s *mapView) {
		g := &DevPodGCP{}
		c.GCP = g
		s.str("project", &g.Project)
		s.str("zone", &g.Zone)
		s.str("machineType", &g.MachineType)
		s.intp("diskSize", nil, &g.DiskSize, 0, noMax)
		s.str("diskType", &g.DiskType, enum("disk type", "pd-standard", "pd-balanced", "pd-ssd"))
	})
	m.obj("azure", nil, func(s *mapView) {
		a := &DevPodAzure{}
		c.Azure = a
		s.str("subscription", &a.Subscription)
		s.str("resourceGroup", &a.ResourceGroup)
		s.str("location", &a.Location)
		s.str("vmSize", &a.VMSize)
		s.intp("diskSize", nil, &a.DiskSize, 0, noMax)
	})
	m.obj("digitalocean", nil, func(s *mapView) {
		o := &DevPodDigitalOcean{}
		c.DigitalOcean = o
		s.str("region", &o.Region)
		s.str("size", &o.Size)
		s.intp("diskSize", nil, &o.DiskSize, 0, noMax)
	})
	m.obj("kubernetes", nil, func(s *mapView) {
		k := &DevPodKubernetes{}
		c.Kubernetes = k
		s.str("namespace", &k.Namespace)
		s.str("storageClass", &k.StorageClass)
		s.str("context", &k.Context)
		s.strMap("nodeSelector", &k.NodeSelector)
	})
	m.obj("ssh", nil, func(s *mapView) {
		h := &DevPodSSH{}
		c.SSH = h
		s.str("host", &h.Host)
		s.str("user", &h.User)
		s.intp("port", nil, &h.Port, 1, 65535)
		s.str("keyPath", &h.KeyPath)
	})
	m.obj("docker", nil, func(s *mapView) {
		c.Docker = &DevPodDocker{}
		s.str("dockerHost", &c.Docker.DockerHost)
	})
	return c
}

func (d *decoder) k8s(m *mapView) *K8sClusterConfig {
	c := &K8sClusterConfig{}
	m.str("provider", &c.Provider, enum("local cluster provider", "kind", "k3d"))
	m.str("clusterName", &c.ClusterName, pattern(nameRE, "a valid cluster name"))
	m.str("version", &c.Version, pattern(k8sVersionRE, "a Kubernetes version like v1.35.0"))
	m.intp("nodes", nil, &c.Nodes, 1, 10)
	m.obj("kind", nil, func(s *mapView) {
		c.Kind = &KindOpts{}
		s.str("image", &c.Kind.Image)
		s.str("configFile", &c.Kind.ConfigFile)
	})
	m.obj("k3d", nil, func(s *mapView) {
		c.K3d = &K3dOpts{}
		s.str("image", &c.K3d.Image)
		s.obj("registry", nil, func(r *mapView) {
			reg := &K3dRegistry{}
			c.K3d.Registry = reg
			r.boolean("enabled", &reg.Enabled)
			r.str("name", &reg.Name)
			r.intp("port", nil, &reg.Port, 1, 65535)
		})
	})
	return c
}

func (d *decoder) e2b(m *mapView) *E2BConfig {
	c := &E2BConfig{}
	m.str("templateAlias", &c.TemplateAlias, pattern(nameRE, "a valid template alias"))
	m.boolp("reuseTemplate", nil, &c.ReuseTemplate)
	m.intp("timeout", nil, &c.Timeout, 60, 86400)
	m.boolp("autoPause", nil, &c.AutoPause)
	m.boolp("autoResume", nil, &c.AutoResume)
	m.boolp("internetAccess", nil, &c.InternetAccess)
	m.strList("allowedDomains", nil, &c.AllowedDomains)
	m.strList("blockedDomains", nil, &c.BlockedDomains)
	m.boolp("publicAccess", nil, &c.PublicAccess)
	m.strMap("metadata", &c.Metadata)
	m.str("team", &c.Team)
	m.boolp("buildOnDeploy", nil, &c.BuildOnDeploy)
	return c
}

func (d *decoder) runpod(m *mapView) *RunPodConfig {
	c := &RunPodConfig{}
	m.special = map[string]string{
		"gpuType": `did you mean "gpuTypeId"? (upstream accepts gpu_type as an alias, but not gpuType)`,
	}
	m.strAlias("gpuTypeId", []string{"gpu_type_id", "gpu_type"}, &c.GPUTypeID)
	m.intp("gpuCount", []string{"gpu_count"}, &c.GPUCount, 1, 8)
	m.intp("containerDiskGb", []string{"container_disk_gb"}, &c.ContainerDiskGB, 1, 500)
	m.intp("volumeSizeGb", []string{"volume_size_gb"}, &c.VolumeSizeGB, 0, 2048)
	m.strAlias("volumeMountPath", []string{"volume_mount_path"}, &c.VolumeMountPath)
	m.strAlias("cloudType", []string{"cloud_type"}, &c.CloudType, enum("cloud type", "SECURE", "COMMUNITY"))
	m.str("region", &c.Region)
	m.intList("exposePorts", []string{"expose_ports"}, &c.ExposePorts, 1, 65535)
	m.floatp("spotBid", []string{"spot_bid"}, &c.SpotBid, 0)
	m.boolp("startSsh", []string{"start_ssh"}, &c.StartSSH)
	m.boolp("cpuOnly", []string{"cpu_only"}, &c.CPUOnly)
	m.strAlias("cpuInstanceId", []string{"cpu_instance_id"}, &c.CPUInstanceID)
	m.strAlias("templateId", []string{"template_id"}, &c.TemplateID)
	return c
}

func (d *decoder) northflank(m *mapView) *NorthflankConfig {
	c := &NorthflankConfig{}
	m.required("projectName", "the Northflank project, e.g. projectName: my-project", "project_name")
	m.strAlias("projectName", []string{"project_name"}, &c.ProjectName, pattern(nameRE, "a valid project name"))
	m.strAlias("serviceName", []string{"service_name"}, &c.ServiceName, pattern(nameRE, "a valid service name"))
	m.strAlias("computePlan", []string{"compute_plan"}, &c.ComputePlan, pattern(nfPlanRE, "a Northflank compute plan like nf-compute-200"))
	m.strAlias("gpuType", []string{"gpu_type"}, &c.GPUType)
	m.intp("gpuCount", []string{"gpu_count"}, &c.GPUCount, 1, 8)
	m.intp("instances", nil, &c.Instances, 0, 50)
	m.intp("volumeSizeGb", []string{"volume_size_gb"}, &c.VolumeSizeGB, 0, 1500)
	m.strAlias("volumeMountPath", []string{"volume_mount_path"}, &c.VolumeMountPath)
	m.str("region", &c.Region)
	m.strAlias("registryCredentials", []string{"registry_credentials"}, &c.RegistryCredentials)
	if items, path, ok := m.seq("ports"); ok {
		for i, it := range items {
			p := idx(path, i)
			s := d.mapping(it, p)
			if s == nil {
				continue
			}
			var port NorthflankPort
			s.required("name", "e.g. name: http")
			s.str("name", &port.Name, pattern(nameRE, "a valid port name"))
			s.required("internalPort", "the container port, e.g. internalPort: 8080")
			s.integer("internalPort", &port.InternalPort, 1, 65535)
			s.boolean("public", &port.Public)
			s.str("protocol", &port.Protocol, enum("protocol", "HTTP", "TCP", "UDP"))
			s.finish()
			c.Ports = append(c.Ports, port)
		}
	}
	m.obj("healthCheck", []string{"health_check"}, func(s *mapView) {
		h := &NorthflankHealth{}
		c.HealthCheck = h
		s.special = map[string]string{"interval": `did you mean "periodSeconds"?`}
		s.str("type", &h.Type, enum("health check type", "http", "tcp", "command"))
		s.str("path", &h.Path)
		s.intp("port", nil, &h.Port, 1, 65535)
		s.strList("command", nil, &h.Command)
		s.intp("initialDelaySeconds", nil, &h.InitialDelaySeconds, 0, noMax)
		s.intp("periodSeconds", nil, &h.PeriodSeconds, 1, noMax)
		s.intp("failureThreshold", nil, &h.FailureThreshold, 1, noMax)
		switch h.Type {
		case "http":
			s.required("path", "the HTTP path to probe, e.g. /health")
			s.required("port", "the port to probe")
		case "tcp", "":
			if h.Type != "" || !s.has("type") {
				s.required("port", "the port to probe (type defaults to tcp)")
			}
		case "command":
			s.required("command", "the command to run, as a list")
		}
	})
	m.obj("autoScaling", []string{"auto_scaling"}, func(s *mapView) {
		a := &NorthflankAutoScaling{}
		c.AutoScaling = a
		s.boolean("enabled", &a.Enabled)
		s.intp("minInstances", nil, &a.MinInstances, 1, 50)
		s.intp("maxInstances", nil, &a.MaxInstances, 1, 50)
		s.intp("targetCpuUtilization", nil, &a.TargetCPUUtilization, 1, 100)
		s.intp("targetMemoryUtilization", nil, &a.TargetMemoryUtilization, 1, 100)
		if a.MinInstances != nil && a.MaxInstances != nil && *a.MinInstances > *a.MaxInstances {
			d.warnf(resolve(s.entries["minInstances"].v), join(s.path, "minInstances"), "", "minInstances (%d) is above maxInstances (%d)", *a.MinInstances, *a.MaxInstances)
		}
	})
	return c
}
