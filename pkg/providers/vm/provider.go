package vm

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
)

// Name is the provider's registry name, the config's provider name.
const Name = string(config.ProviderPacker)

// CredentialVars are the cloud credential and setting variables packer's environment gets
// from the executor's, by cloud. The clouds' SDKs read them there (AWS, Alibaba) or the
// template's env() variables do (Azure, GCP project, OCI); they are never in argv or a
// template.
var CredentialVars = map[config.PackerCloud][]string{
	config.CloudAWS:     {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"},
	config.CloudAzure:   {"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP"},
	config.CloudGCP:     {"GOOGLE_APPLICATION_CREDENTIALS", "GCP_PROJECT_ID"},
	config.CloudOCI:     {"OCI_USER_OCID", "OCI_TENANCY_OCID", "OCI_FINGERPRINT", "OCI_KEY_FILE", "OCI_REGION", "OCI_COMPARTMENT_OCID", "OCI_SUBNET_OCID"},
	config.CloudAlibaba: {"ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_REGION"},
}

// requiredVars are, by cloud, the variables without which a build cannot authenticate (OCI
// may use ~/.oci/config and GCP application default credentials instead, so they have none).
var requiredVars = map[config.PackerCloud][]string{
	config.CloudAWS:     {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
	config.CloudAzure:   {"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"},
	config.CloudAlibaba: {"ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY"},
}

// secretVars are the credential variables whose values are secrets (redacted from output).
var secretVars = []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_CLIENT_SECRET", "ALICLOUD_SECRET_KEY"}

// Config configures the provider.
type Config struct {
	// Binary is packer: a name looked up in PATH, or a path. Default "packer".
	Binary string
	// PATH is the PATH packer and the cloud CLIs run with (and find their plugins in).
	PATH string
	// Home is packer's HOME (its plugin and cache directories, ~/.oci/config).
	Home string
	// WorkDir is where each job's template directory is made; "" is the system temp dir.
	WorkDir string
	// Getenv reads the executor's environment for the cloud credentials (CredentialVars),
	// read at each job so that a rotated credential is used at once.
	Getenv func(string) string
	// NullBuilder renders Packer's null builder in place of the cloud's source, with a
	// local step per script instead of running them: a build that touches no cloud, for
	// tests and dry runs of the executor's image jobs.
	NullBuilder bool

	// Regions are the AWS regions List looks in, and a config-less teardown without a
	// handle (setting regions, comma-separated; default AWS_REGION or AWS_DEFAULT_REGION).
	Regions []string
	// Places are, by cloud other than AWS, the places (GCP zones, Azure locations, ...)
	// List looks in, and a config-less teardown without a handle.
	Places map[config.PackerCloud][]string
	// GCEEndpoint replaces https://compute.googleapis.com/compute/v1/ (tests: the fake);
	// the OAuth2 token endpoint is the service-account key's token_uri.
	GCEEndpoint string
	// AzureEndpoint replaces https://management.azure.com/ and AzureLoginEndpoint
	// https://login.microsoftonline.com/ (tests: the fake).
	AzureEndpoint, AzureLoginEndpoint string
	// EC2Endpoint replaces https://ec2.<region>.amazonaws.com (tests: the EC2 fake).
	EC2Endpoint string
	// OCIEndpoint replaces https://iaas.<region>.oraclecloud.com (tests: the OCI fake).
	OCIEndpoint string
	// ECSEndpoint replaces https://ecs.<region>.aliyuncs.com (tests: the ECS fake).
	ECSEndpoint string
	// HTTPClient sends the EC2 requests; nil means the rest client's default.
	HTTPClient *http.Client
	// APITimeout bounds each EC2 request (0: the rest client's 30s); BackoffBase its retry
	// backoff (0: 250ms).
	APITimeout, BackoffBase time.Duration
	// PollInterval is how often a wait reads the instance (default 3s); BootTimeout bounds a
	// wait for running or stopped when the job names no timeout (default 10m).
	PollInterval, BootTimeout time.Duration
	// Recorder, when set, records every EC2 request, credentials removed.
	Recorder *rest.Recorder

	// SSHUser is the login user secrets are delivered as, and who owns them on the instance
	// (default "ubuntu", the user of the images the builds start from); SSHPort its sshd's
	// port (default 22).
	SSHUser string
	SSHPort int
	// Dial opens the TCP connection of a secret delivery (nil: net.Dialer; tests point it at
	// an SSH fake).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Provider builds VM images with Packer (providers.ImageBuilder) and, on AWS, runs an
// environment as an EC2 instance of the image built from its config.
type Provider struct {
	cfg Config
	// build makes the config's image when Deploy finds none (buildImage; tests replace it).
	build func(ctx context.Context, s *providers.Spec, r providers.Reporter) (*providers.Image, error)

	// secretsPath is where the secrets go on an instance (secretsFile; tests that play the
	// instance on this machine move it).
	secretsPath string

	mu      sync.Mutex
	version string // cached `packer version` answer
	mode    Mode
}

var (
	_ providers.Provider     = (*Provider)(nil)
	_ providers.ImageBuilder = (*Provider)(nil)
	_ providers.Checker      = (*Provider)(nil)
	_ providers.Lister       = (*Provider)(nil)
)

// New returns a provider for cfg, filling defaults: Binary "packer", PATH and Home from
// Getenv's PATH and HOME (else /usr/local/bin:/usr/bin:/bin and the temp dir). A nil Getenv
// reads nothing. It returns no error: a missing binary or credential is reported by Check and
// by each job.
func New(cfg Config) *Provider {
	if cfg.Binary == "" {
		cfg.Binary = "packer"
	}
	if cfg.Getenv == nil {
		cfg.Getenv = func(string) string { return "" }
	}
	if cfg.PATH == "" {
		cfg.PATH = cfg.Getenv("PATH")
	}
	if cfg.PATH == "" {
		cfg.PATH = "/usr/local/bin:/usr/bin:/bin"
	}
	if cfg.Home == "" {
		cfg.Home = cfg.Getenv("HOME")
	}
	if cfg.Home == "" {
		cfg.Home = os.TempDir()
	}
	if len(cfg.Regions) == 0 {
		for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
			if r := cfg.Getenv(v); r != "" {
				cfg.Regions = []string{r}
				break
			}
		}
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 3 * time.Second
	}
	if cfg.BootTimeout <= 0 {
		cfg.BootTimeout = 10 * time.Minute
	}
	if cfg.SSHUser == "" {
		cfg.SSHUser = sshUser
	}
	if cfg.SSHPort <= 0 {
		cfg.SSHPort = 22
	}
	p := &Provider{cfg: cfg, secretsPath: secretsFile}
	p.build = p.buildImage
	return p
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Capabilities implements providers.Provider: instances stop and start (the disk stays), are
// reached by ssh, and are found again through the handle (cloud, region, instance id); the
// credential variables of every cloud, and the delivery secret (DeliveryKeyVar), are
// withheld from environments.
func (p *Provider) Capabilities() providers.Capabilities {
	var creds []string
	for _, c := range []config.PackerCloud{config.CloudAWS, config.CloudAzure, config.CloudGCP, config.CloudOCI, config.CloudAlibaba} {
		creds = append(creds, CredentialVars[c]...)
	}
	creds = append(creds, DeliveryKeyVar)
	return providers.Capabilities{StopStart: true, StopMode: "stop", UsesHandle: true,
		ConnectKinds: []providers.ConnectKind{providers.ConnectSSH}, Credentials: creds}
}

// env is packer's complete environment for cloud: PATH, HOME, no update check, and the
// cloud's credential variables that are set (job credentials of those names first, then the
// executor's). It returns the secret values among them, for redaction.
func (p *Provider) env(cloud config.PackerCloud, s *providers.Spec) (env, secretValues []string) {
	env = []string{"PATH=" + p.cfg.PATH, "HOME=" + p.cfg.Home, "CHECKPOINT_DISABLE=1", "PACKER_NO_COLOR=1"}
	if cloud == config.CloudAWS {
		env = append(env, "AWS_EC2_METADATA_DISABLED=true")
	}
	for _, name := range CredentialVars[cloud] {
		v := p.cfg.Getenv(name)
		if s != nil {
			for _, c := range s.Credentials {
				if c.Name == name && c.Value != nil {
					v = c.Value.Reveal()
				}
			}
		}
		if v == "" {
			continue
		}
		env = append(env, name+"="+v)
		if slices.Contains(secretVars, name) {
			secretValues = append(secretValues, v)
		}
	}
	return env, secretValues
}

// missing returns a MissingCredential error for the first required variable of cloud that
// is not set, or nil.
func (p *Provider) missing(cloud config.PackerCloud, s *providers.Spec) error {
	if p.cfg.NullBuilder {
		return nil
	}
	env, _ := p.env(cloud, s)
	for _, name := range requiredVars[cloud] {
		if !slices.ContainsFunc(env, func(e string) bool { return len(e) > len(name) && e[:len(name)+1] == name+"=" }) {
			return providers.MissingCredential(Name, name)
		}
	}
	return nil
}

// packerConfig returns the spec's providers.packer block.
func packerConfig(s *providers.Spec) (*config.PackerConfig, error) {
	if s.Config == nil || s.Config.Providers.Packer == nil {
		return nil, fmt.Errorf("%s: the job carries no providers.packer block: %w", Name, providers.ErrInvalidSpec)
	}
	return s.Config.Providers.Packer, nil
}

// RequiredVars returns the variables without which nothing can authenticate on cloud.
func RequiredVars(cloud config.PackerCloud) []string { return slices.Clone(requiredVars[cloud]) }
