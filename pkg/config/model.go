// Package config reads, validates and defaults sindri.yaml files (Sindri V3 "3.0" and V2 "1.0").
//
// The model mirrors the contract in shared/spec/sindri-v3-contract.md §1. Optional scalars are
// pointers so that "absent" and "zero" stay distinguishable; defaults are applied in one place
// (defaults.go) and never by consumers.
package config

// Config is one parsed sindri.yaml file.
type Config struct {
	Version    string      `yaml:"version" json:"version"`
	Name       string      `yaml:"name" json:"name"`
	Deployment Deployment  `yaml:"deployment" json:"deployment"`
	Extensions Extensions  `yaml:"extensions" json:"extensions"`
	Secrets    []Secret    `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	Providers  Providers   `yaml:"providers,omitempty" json:"providers,omitempty"`
	Source     *SourceInfo `yaml:"-" json:"-"`
}

// SourceInfo records where a Config was read from.
type SourceInfo struct {
	// Path is the file the config was read from, as given by the caller.
	Path string
	// Dir is the directory relative paths in the config are resolved against.
	Dir string
}

// ProviderName is the value of deployment.provider.
type ProviderName string

// Provider names accepted in deployment.provider.
const (
	ProviderDocker        ProviderName = "docker"
	ProviderDockerCompose ProviderName = "docker-compose" // normalises to docker
	ProviderFly           ProviderName = "fly"
	ProviderDevPod        ProviderName = "devpod"
	ProviderE2B           ProviderName = "e2b"
	ProviderKubernetes    ProviderName = "kubernetes"
	ProviderRunPod        ProviderName = "runpod"
	ProviderNorthflank    ProviderName = "northflank"
)

// Deployment is the deployment block.
type Deployment struct {
	Provider        ProviderName     `yaml:"provider" json:"provider"`
	Distro          string           `yaml:"distro,omitempty" json:"distro,omitempty"`
	Image           string           `yaml:"image,omitempty" json:"image,omitempty"`
	ImageConfig     *ImageConfig     `yaml:"image_config,omitempty" json:"image_config,omitempty"`
	BuildFromSource *BuildFromSource `yaml:"buildFromSource,omitempty" json:"buildFromSource,omitempty"`
	Resources       Resources        `yaml:"resources,omitempty" json:"resources,omitempty"`
	Volumes         Volumes          `yaml:"volumes,omitempty" json:"volumes,omitempty"`
}

// ImageConfig is deployment.image_config (snake_case keys).
type ImageConfig struct {
	Registry              string `yaml:"registry" json:"registry"`
	Version               string `yaml:"version,omitempty" json:"version,omitempty"`
	TagOverride           string `yaml:"tag_override,omitempty" json:"tag_override,omitempty"`
	Digest                string `yaml:"digest,omitempty" json:"digest,omitempty"`
	ResolutionStrategy    string `yaml:"resolution_strategy,omitempty" json:"resolution_strategy,omitempty"`
	AllowPrerelease       *bool  `yaml:"allow_prerelease,omitempty" json:"allow_prerelease,omitempty"`
	VerifySignature       *bool  `yaml:"verify_signature,omitempty" json:"verify_signature,omitempty"`
	VerifyProvenance      *bool  `yaml:"verify_provenance,omitempty" json:"verify_provenance,omitempty"`
	PullPolicy            string `yaml:"pull_policy,omitempty" json:"pull_policy,omitempty"`
	CertificateIdentity   string `yaml:"certificate_identity,omitempty" json:"certificate_identity,omitempty"`
	CertificateOIDCIssuer string `yaml:"certificate_oidc_issuer,omitempty" json:"certificate_oidc_issuer,omitempty"`
}

// BuildFromSource is deployment.buildFromSource (camelCase keys).
type BuildFromSource struct {
	Enabled bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	GitRef  string `yaml:"gitRef,omitempty" json:"gitRef,omitempty"`
}

// Resources is deployment.resources.
type Resources struct {
	Memory string `yaml:"memory,omitempty" json:"memory,omitempty"`
	CPUs   *int   `yaml:"cpus,omitempty" json:"cpus,omitempty"`
	GPU    *GPU   `yaml:"gpu,omitempty" json:"gpu,omitempty"`
}

// GPU is deployment.resources.gpu.
type GPU struct {
	Enabled bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Type    string `yaml:"type,omitempty" json:"type,omitempty"` // nvidia (default) or amd
	Count   *int   `yaml:"count,omitempty" json:"count,omitempty"`
	Tier    string `yaml:"tier,omitempty" json:"tier,omitempty"` // gpu-small .. gpu-xlarge
	Memory  string `yaml:"memory,omitempty" json:"memory,omitempty"`
}

// Volumes is deployment.volumes.
type Volumes struct {
	Workspace *Workspace `yaml:"workspace,omitempty" json:"workspace,omitempty"`
}

// Workspace is deployment.volumes.workspace.
type Workspace struct {
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	Size string `yaml:"size,omitempty" json:"size,omitempty"`
}

// Extensions is the extensions block.
type Extensions struct {
	Profile     string   `yaml:"profile,omitempty" json:"profile,omitempty"`
	Active      []string `yaml:"active,omitempty" json:"active,omitempty"`
	Additional  []string `yaml:"additional,omitempty" json:"additional,omitempty"`
	AutoInstall *bool    `yaml:"auto_install,omitempty" json:"auto_install,omitempty"`
}

// SecretSource is secrets[].source.
type SecretSource string

// Secret sources.
const (
	SecretSourceEnv   SecretSource = "env"
	SecretSourceFile  SecretSource = "file"
	SecretSourceVault SecretSource = "vault"
	SecretSourceS3    SecretSource = "s3" // parsed, refused at resolution
)

// Secret is one item of secrets.
type Secret struct {
	Name        string       `yaml:"name" json:"name"`
	Source      SecretSource `yaml:"source" json:"source"`
	FromFile    string       `yaml:"fromFile,omitempty" json:"fromFile,omitempty"`
	Required    bool         `yaml:"required,omitempty" json:"required,omitempty"`
	Path        string       `yaml:"path,omitempty" json:"path,omitempty"`
	MountPath   string       `yaml:"mountPath,omitempty" json:"mountPath,omitempty"`
	Permissions string       `yaml:"permissions,omitempty" json:"permissions,omitempty"`
	VaultPath   string       `yaml:"vaultPath,omitempty" json:"vaultPath,omitempty"`
	VaultKey    string       `yaml:"vaultKey,omitempty" json:"vaultKey,omitempty"`
	VaultMount  string       `yaml:"vaultMount,omitempty" json:"vaultMount,omitempty"`
	S3Path      string       `yaml:"s3Path,omitempty" json:"s3Path,omitempty"`
	// Deliver delivers a secret that is also a provider credential into the environment.
	Deliver bool `yaml:"deliver,omitempty" json:"deliver,omitempty"`
}

// Providers is the providers block. Each field is nil when its block is absent.
type Providers struct {
	Fly        *FlyConfig        `yaml:"fly,omitempty" json:"fly,omitempty"`
	Docker     *DockerConfig     `yaml:"docker,omitempty" json:"docker,omitempty"`
	Kubernetes *KubernetesConfig `yaml:"kubernetes,omitempty" json:"kubernetes,omitempty"`
	DevPod     *DevPodConfig     `yaml:"devpod,omitempty" json:"devpod,omitempty"`
	K8s        *K8sClusterConfig `yaml:"k8s,omitempty" json:"k8s,omitempty"`
	E2B        *E2BConfig        `yaml:"e2b,omitempty" json:"e2b,omitempty"`
	RunPod     *RunPodConfig     `yaml:"runpod,omitempty" json:"runpod,omitempty"`
	Northflank *NorthflankConfig `yaml:"northflank,omitempty" json:"northflank,omitempty"`
}

// FlyConfig is providers.fly.
type FlyConfig struct {
	Region            string `yaml:"region,omitempty" json:"region,omitempty"`
	AutoStopMachines  *bool  `yaml:"autoStopMachines,omitempty" json:"autoStopMachines,omitempty"`
	AutoStartMachines *bool  `yaml:"autoStartMachines,omitempty" json:"autoStartMachines,omitempty"`
	CPUKind           string `yaml:"cpuKind,omitempty" json:"cpuKind,omitempty"`
	SSHPort           *int   `yaml:"sshPort,omitempty" json:"sshPort,omitempty"`
	Organization      string `yaml:"organization,omitempty" json:"organization,omitempty"`
	HighAvailability  *bool  `yaml:"highAvailability,omitempty" json:"highAvailability,omitempty"`
}

// DockerConfig is providers.docker.
type DockerConfig struct {
	Network    string      `yaml:"network,omitempty" json:"network,omitempty"`
	Restart    string      `yaml:"restart,omitempty" json:"restart,omitempty"`
	Ports      []string    `yaml:"ports,omitempty" json:"ports,omitempty"`
	Privileged bool        `yaml:"privileged,omitempty" json:"privileged,omitempty"`
	ExtraHosts []string    `yaml:"extraHosts,omitempty" json:"extraHosts,omitempty"`
	Runtime    string      `yaml:"runtime,omitempty" json:"runtime,omitempty"`
	DinD       *DinDConfig `yaml:"dind,omitempty" json:"dind,omitempty"`
}

// DinDConfig is providers.docker.dind.
type DinDConfig struct {
	Enabled       bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Mode          string `yaml:"mode,omitempty" json:"mode,omitempty"`
	StorageDriver string `yaml:"storageDriver,omitempty" json:"storageDriver,omitempty"`
	StorageSize   string `yaml:"storageSize,omitempty" json:"storageSize,omitempty"`
}

// KubernetesConfig is providers.kubernetes.
type KubernetesConfig struct {
	Namespace    string         `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	StorageClass string         `yaml:"storageClass,omitempty" json:"storageClass,omitempty"`
	Ingress      *IngressConfig `yaml:"ingress,omitempty" json:"ingress,omitempty"`
}

// IngressConfig is providers.kubernetes.ingress.
type IngressConfig struct {
	Enabled  bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Hostname string `yaml:"hostname,omitempty" json:"hostname,omitempty"`
}

// DevPodConfig is providers.devpod.
type DevPodConfig struct {
	Type            string              `yaml:"type" json:"type"`
	BuildRepository string              `yaml:"buildRepository,omitempty" json:"buildRepository,omitempty"`
	AWS             *DevPodAWS          `yaml:"aws,omitempty" json:"aws,omitempty"`
	GCP             *DevPodGCP          `yaml:"gcp,omitempty" json:"gcp,omitempty"`
	Azure           *DevPodAzure        `yaml:"azure,omitempty" json:"azure,omitempty"`
	DigitalOcean    *DevPodDigitalOcean `yaml:"digitalocean,omitempty" json:"digitalocean,omitempty"`
	Kubernetes      *DevPodKubernetes   `yaml:"kubernetes,omitempty" json:"kubernetes,omitempty"`
	SSH             *DevPodSSH          `yaml:"ssh,omitempty" json:"ssh,omitempty"`
	Docker          *DevPodDocker       `yaml:"docker,omitempty" json:"docker,omitempty"`
}

// DevPodAWS is providers.devpod.aws.
type DevPodAWS struct {
	Region          string `yaml:"region,omitempty" json:"region,omitempty"`
	InstanceType    string `yaml:"instanceType,omitempty" json:"instanceType,omitempty"`
	DiskSize        *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
	UseSpot         *bool  `yaml:"useSpot,omitempty" json:"useSpot,omitempty"`
	SubnetID        string `yaml:"subnetId,omitempty" json:"subnetId,omitempty"`
	SecurityGroupID string `yaml:"securityGroupId,omitempty" json:"securityGroupId,omitempty"`
}

// DevPodGCP is providers.devpod.gcp.
type DevPodGCP struct {
	Project     string `yaml:"project,omitempty" json:"project,omitempty"`
	Zone        string `yaml:"zone,omitempty" json:"zone,omitempty"`
	MachineType string `yaml:"machineType,omitempty" json:"machineType,omitempty"`
	DiskSize    *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
	DiskType    string `yaml:"diskType,omitempty" json:"diskType,omitempty"`
}

// DevPodAzure is providers.devpod.azure.
type DevPodAzure struct {
	Subscription  string `yaml:"subscription,omitempty" json:"subscription,omitempty"`
	ResourceGroup string `yaml:"resourceGroup,omitempty" json:"resourceGroup,omitempty"`
	Location      string `yaml:"location,omitempty" json:"location,omitempty"`
	VMSize        string `yaml:"vmSize,omitempty" json:"vmSize,omitempty"`
	DiskSize      *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
}

// DevPodDigitalOcean is providers.devpod.digitalocean.
type DevPodDigitalOcean struct {
	Region   string `yaml:"region,omitempty" json:"region,omitempty"`
	Size     string `yaml:"size,omitempty" json:"size,omitempty"`
	DiskSize *int   `yaml:"diskSize,omitempty" json:"diskSize,omitempty"`
}

// DevPodKubernetes is providers.devpod.kubernetes.
type DevPodKubernetes struct {
	Namespace    string            `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	StorageClass string            `yaml:"storageClass,omitempty" json:"storageClass,omitempty"`
	Context      string            `yaml:"context,omitempty" json:"context,omitempty"`
	NodeSelector map[string]string `yaml:"nodeSelector,omitempty" json:"nodeSelector,omitempty"`
}

// DevPodSSH is providers.devpod.ssh.
type DevPodSSH struct {
	Host    string `yaml:"host,omitempty" json:"host,omitempty"`
	User    string `yaml:"user,omitempty" json:"user,omitempty"`
	Port    *int   `yaml:"port,omitempty" json:"port,omitempty"`
	KeyPath string `yaml:"keyPath,omitempty" json:"keyPath,omitempty"`
}

// DevPodDocker is providers.devpod.docker.
type DevPodDocker struct {
	DockerHost string `yaml:"dockerHost,omitempty" json:"dockerHost,omitempty"`
}

// K8sClusterConfig is providers.k8s (local kind/k3d cluster description; unused by deploy).
type K8sClusterConfig struct {
	Provider    string    `yaml:"provider,omitempty" json:"provider,omitempty"`
	ClusterName string    `yaml:"clusterName,omitempty" json:"clusterName,omitempty"`
	Version     string    `yaml:"version,omitempty" json:"version,omitempty"`
	Nodes       *int      `yaml:"nodes,omitempty" json:"nodes,omitempty"`
	Kind        *KindOpts `yaml:"kind,omitempty" json:"kind,omitempty"`
	K3d         *K3dOpts  `yaml:"k3d,omitempty" json:"k3d,omitempty"`
}

// KindOpts is providers.k8s.kind.
type KindOpts struct {
	Image      string `yaml:"image,omitempty" json:"image,omitempty"`
	ConfigFile string `yaml:"configFile,omitempty" json:"configFile,omitempty"`
}

// K3dOpts is providers.k8s.k3d.
type K3dOpts struct {
	Image    string       `yaml:"image,omitempty" json:"image,omitempty"`
	Registry *K3dRegistry `yaml:"registry,omitempty" json:"registry,omitempty"`
}

// K3dRegistry is providers.k8s.k3d.registry.
type K3dRegistry struct {
	Enabled bool   `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	Name    string `yaml:"name,omitempty" json:"name,omitempty"`
	Port    *int   `yaml:"port,omitempty" json:"port,omitempty"`
}

// E2BConfig is providers.e2b.
type E2BConfig struct {
	TemplateAlias  string            `yaml:"templateAlias,omitempty" json:"templateAlias,omitempty"`
	ReuseTemplate  *bool             `yaml:"reuseTemplate,omitempty" json:"reuseTemplate,omitempty"`
	Timeout        *int              `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	AutoPause      *bool             `yaml:"autoPause,omitempty" json:"autoPause,omitempty"`
	AutoResume     *bool             `yaml:"autoResume,omitempty" json:"autoResume,omitempty"`
	InternetAccess *bool             `yaml:"internetAccess,omitempty" json:"internetAccess,omitempty"`
	AllowedDomains []string          `yaml:"allowedDomains,omitempty" json:"allowedDomains,omitempty"`
	BlockedDomains []string          `yaml:"blockedDomains,omitempty" json:"blockedDomains,omitempty"`
	PublicAccess   *bool             `yaml:"publicAccess,omitempty" json:"publicAccess,omitempty"`
	Metadata       map[string]string `yaml:"metadata,omitempty" json:"metadata,omitempty"`
	Team           string            `yaml:"team,omitempty" json:"team,omitempty"`
	BuildOnDeploy  *bool             `yaml:"buildOnDeploy,omitempty" json:"buildOnDeploy,omitempty"`
}

// RunPodConfig is providers.runpod. snake_case aliases are accepted by the loader.
type RunPodConfig struct {
	GPUTypeID       string   `yaml:"gpuTypeId,omitempty" json:"gpuTypeId,omitempty"`
	GPUCount        *int     `yaml:"gpuCount,omitempty" json:"gpuCount,omitempty"`
	ContainerDiskGB *int     `yaml:"containerDiskGb,omitempty" json:"containerDiskGb,omitempty"`
	VolumeSizeGB    *int     `yaml:"volumeSizeGb,omitempty" json:"volumeSizeGb,omitempty"`
	VolumeMountPath string   `yaml:"volumeMountPath,omitempty" json:"volumeMountPath,omitempty"`
	CloudType       string   `yaml:"cloudType,omitempty" json:"cloudType,omitempty"`
	Region          string   `yaml:"region,omitempty" json:"region,omitempty"`
	ExposePorts     []int    `yaml:"exposePorts,omitempty" json:"exposePorts,omitempty"`
	SpotBid         *float64 `yaml:"spotBid,omitempty" json:"spotBid,omitempty"`
	StartSSH        *bool    `yaml:"startSsh,omitempty" json:"startSsh,omitempty"`
	CPUOnly         *bool    `yaml:"cpuOnly,omitempty" json:"cpuOnly,omitempty"`
	CPUInstanceID   string   `yaml:"cpuInstanceId,omitempty" json:"cpuInstanceId,omitempty"`
	TemplateID      string   `yaml:"templateId,omitempty" json:"templateId,omitempty"`
}

// NorthflankConfig is providers.northflank. snake_case aliases are accepted by the loader.
type NorthflankConfig struct {
	ProjectName         string                 `yaml:"projectName" json:"projectName"`
	ServiceName         string                 `yaml:"serviceName,omitempty" json:"serviceName,omitempty"`
	ComputePlan         string                 `yaml:"computePlan,omitempty" json:"computePlan,omitempty"`
	GPUType             string                 `yaml:"gpuType,omitempty" json:"gpuType,omitempty"`
	GPUCount            *int                   `yaml:"gpuCount,omitempty" json:"gpuCount,omitempty"`
	Instances           *int                   `yaml:"instances,omitempty" json:"instances,omitempty"`
	VolumeSizeGB        *int                   `yaml:"volumeSizeGb,omitempty" json:"volumeSizeGb,omitempty"`
	VolumeMountPath     string                 `yaml:"volumeMountPath,omitempty" json:"volumeMountPath,omitempty"`
	Region              string                 `yaml:"region,omitempty" json:"region,omitempty"`
	RegistryCredentials string                 `yaml:"registryCredentials,omitempty" json:"registryCredentials,omitempty"`
	Ports               []NorthflankPort       `yaml:"ports,omitempty" json:"ports,omitempty"`
	HealthCheck         *NorthflankHealth      `yaml:"healthCheck,omitempty" json:"healthCheck,omitempty"`
	AutoScaling         *NorthflankAutoScaling `yaml:"autoScaling,omitempty" json:"autoScaling,omitempty"`
}

// NorthflankPort is providers.northflank.ports[].
type NorthflankPort struct {
	Name         string `yaml:"name" json:"name"`
	InternalPort int    `yaml:"internalPort" json:"internalPort"`
	Public       bool   `yaml:"public,omitempty" json:"public,omitempty"`
	Protocol     string `yaml:"protocol,omitempty" json:"protocol,omitempty"` // HTTP, TCP, UDP
}

// NorthflankHealth is providers.northflank.healthCheck.
type NorthflankHealth struct {
	Type                string   `yaml:"type,omitempty" json:"type,omitempty"` // http, tcp, command
	Path                string   `yaml:"path,omitempty" json:"path,omitempty"`
	Port                *int     `yaml:"port,omitempty" json:"port,omitempty"`
	Command             []string `yaml:"command,omitempty" json:"command,omitempty"` // argv, as in the upstream schema
	InitialDelaySeconds *int     `yaml:"initialDelaySeconds,omitempty" json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       *int     `yaml:"periodSeconds,omitempty" json:"periodSeconds,omitempty"`
	FailureThreshold    *int     `yaml:"failureThreshold,omitempty" json:"failureThreshold,omitempty"`
}

// NorthflankAutoScaling is providers.northflank.autoScaling.
type NorthflankAutoScaling struct {
	Enabled                 bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	MinInstances            *int `yaml:"minInstances,omitempty" json:"minInstances,omitempty"`
	MaxInstances            *int `yaml:"maxInstances,omitempty" json:"maxInstances,omitempty"`
	TargetCPUUtilization    *int `yaml:"targetCpuUtilization,omitempty" json:"targetCpuUtilization,omitempty"`
	TargetMemoryUtilization *int `yaml:"targetMemoryUtilization,omitempty" json:"targetMemoryUtilization,omitempty"`
}
