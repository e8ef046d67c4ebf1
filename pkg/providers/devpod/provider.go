// Package devpod deploys an environment as a DevPod workspace, driving the devpod CLI
// (loft-sh/devpod v0.6.15) through the shared CLI runner.
//
// For each environment it writes a devcontainer.json (image, non-secret containerEnv, the
// home volume, sizing and the sindri labels as docker runArgs) into a source folder under
// DEVPOD_HOME, makes sure the devpod provider of the config's backend (docker, kubernetes,
// aws, gcloud, azure, digitalocean, ssh) is added with the options the config asks for, and
// runs `devpod up` with --ide none --configure-ssh=false. Secrets reach the workspace through
// --workspace-env-file (a 0600 file), never containerEnv (which devpod copies into a docker
// label) and never argv.
//
// Names: the workspace id is the environment name (shortened with a hash past devpod's 48
// characters); the docker backend's home volume is "<id>-home". What was made is recorded in
// DEVPOD_HOME/sindri/<id>/record.json (backend, config hash, labels, volumes), next to the
// devpod registry itself: the registry lives in DEVPOD_HOME on one machine, so a provider
// whose home is not persistent (the default, a private temporary folder) refuses the machine
// backends, whose VMs would outlive it.
package devpod

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Name is the provider's registry name, the config's provider name.
const Name = string(config.ProviderDevPod)

// Version is the devpod release this provider is written and tested against.
const Version = "v0.6.15"

// Config configures the provider.
type Config struct {
	// Binary is devpod: a name looked up in PATH, or a path. Default "devpod".
	Binary string
	// Home is DEVPOD_HOME, where devpod keeps its providers and workspaces and this provider
	// its records. Empty: a private temporary folder made by New, which does not outlive the
	// process (Persistent is then false).
	Home string
	// Persistent says Home outlives the executor (a long-lived executor with a kept folder).
	// Machine backends (aws, gcloud, azure, digitalocean) are refused without it: their VMs
	// would be orphaned with the registry. New sets it when Home is given.
	Persistent bool
	// PATH is the PATH devpod runs with (it runs docker, kubectl, ssh from it).
	PATH string
	// DockerBinary is the docker CLI used to remove the docker backend's volumes, which
	// `devpod delete` leaves behind. Default "docker".
	DockerBinary string
	// Sources overrides, by backend type, what `devpod provider add` is given (a pinned
	// release such as "aws@v0.0.17" by default; a local provider.yaml for offline use).
	Sources map[string]string
	// Getenv reads the executor's environment for the backends' credential variables
	// (CredentialVars), at each job, so that a rotated credential is used at once.
	Getenv func(string) string
	// ReadyTimeout bounds the wait for a workspace that devpod reports Busy after `up`.
	// Default 2 minutes.
	ReadyTimeout time.Duration
	// PollInterval is the status poll period during that wait. Default 1 second.
	PollInterval time.Duration
}

// Provider deploys environments as DevPod workspaces.
type Provider struct {
	cfg Config

	homeOnce sync.Once
	homeErr  error // the error of making the temporary home, reported by every verb

	mu       sync.Mutex
	ensured  map[string]map[string]bool // devpod provider name -> its option names, once added
	version  string
	envLocks map[string]*sync.Mutex
}

var (
	_ providers.Provider = (*Provider)(nil)
	_ providers.Checker  = (*Provider)(nil)
	_ providers.Lister   = (*Provider)(nil)
)

// New returns a provider for cfg with defaults filled: Binary "devpod", DockerBinary
// "docker", PATH from Getenv("PATH") (else /usr/local/bin:/usr/bin:/bin), Home a new private
// temporary folder, made on first use, when empty. It returns no error: a missing binary or
// credential, or a home that could not be made, is reported by Check and by each operation.
func New(cfg Config) *Provider {
	if cfg.Binary == "" {
		cfg.Binary = "devpod"
	}
	if cfg.DockerBinary == "" {
		cfg.DockerBinary = "docker"
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
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Minute
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	p := &Provider{ensured: map[string]map[string]bool{}, envLocks: map[string]*sync.Mutex{}}
	cfg.Persistent = cfg.Home != ""
	p.cfg = cfg
	return p
}

// ready makes the temporary DEVPOD_HOME on first use when none was configured (a provider
// that is never used leaves no folder behind). Every verb calls it first; Home is not
// written afterwards. It returns the error of making the folder, every time.
func (p *Provider) ready() error {
	p.homeOnce.Do(func() {
		if p.cfg.Home == "" {
			p.cfg.Home, p.homeErr = os.MkdirTemp("", "sindri-devpod-")
		}
	})
	if p.homeErr != nil {
		return fmt.Errorf("%s: DEVPOD_HOME: %w", Name, p.homeErr)
	}
	return nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Capabilities implements providers.Provider: stop and start (devpod stop, devpod up),
// exec and ssh through `devpod ssh`, the handle (workspace id, backend, DEVPOD_HOME), and the
// backends' credential variables, withheld from environments.
func (p *Provider) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		StopStart:    true,
		StopMode:     "stop",
		ConnectKinds: []providers.ConnectKind{providers.ConnectExec, providers.ConnectSSH},
		UsesHandle:   true,
		Credentials:  credentialNames(),
	}
}
