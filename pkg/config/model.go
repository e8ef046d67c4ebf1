// Package config reads, validates and defaults sindri.yaml files (Sindri V3 "3.0" and V2 "1.0").
//
// The model mirrors the contract in shared/spec/sindri-v3-contract.md §1. Optional scalars are
// pointers so that "absent" and "zero" stay distinguishable; defaults are applied in one place
// (defaults.go, which calls each provider's defaults) and never by consumers. Each provider's
// block (type, decoder, defaults, rules) lives in the provider's own file, registered in
// providerSchemas (schema.go).
package config

import "time"

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

// ProviderName is the value of deployment.provider. Each provider declares its name in its
// own file (docker.go, fly.go, ...) and is listed in providerSchemas (schema.go).
type ProviderName string

// Deployment is the deployment block.
type Deployment struct {
	Provider        ProviderName     `yaml:"provider" json:"provider"`
	Distro          string           `yaml:"distro,omitempty" json:"distro,omitempty"`
	Image           string           `yaml:"image,omitempty" json:"image,omitempty"`
	ImageConfig     *ImageConfig     `yaml:"image_config,omitempty" json:"image_config,omitempty"`
	BuildFromSource *BuildFromSource `yaml:"buildFromSource,omitempty" json:"buildFromSource,omitempty"`
	Resources       Resources        `yaml:"resources,omitempty" json:"resources,omitempty"`
	Volumes         Volumes          `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	// IdleStop is sindri-deploy's own key (upstream's deployment object takes extra keys): a Go
	// duration ("30m") after which a running environment with no push, command or traffic is
	// stopped. It can shorten the executor's cost.idle_stop, never lengthen it (docs/cost.md).
	IdleStop string `yaml:"idle_stop,omitempty" json:"idle_stop,omitempty"`
}

// IdleStopDuration is deployment.idle_stop as a duration, 0 when it is unset (Load has
// refused a value that is not a positive duration).
func (d Deployment) IdleStopDuration() time.Duration {
	v, err := time.ParseDuration(d.IdleStop)
	if err != nil || v < 0 {
		return 0
	}
	return v
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
	Tier    string `yaml:"tier,omitempty" json:"tier,omitempty"` // gpu-small .. gpu-xlarge, or a GPU model (pkg/catalog)
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
	// Deliver marks a secret that is also a provider credential (E2B_API_KEY, FLY_API_TOKEN):
	// such a secret is consumed by the provider and not put into the environment unless
	// Deliver is true.
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
	Packer     *PackerConfig     `yaml:"packer,omitempty" json:"packer,omitempty"`
}
