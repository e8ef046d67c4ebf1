// Package docker is the Docker provider: it runs one Sindri environment as one container on a
// Docker engine, talking to the Engine API with the moby client (no docker CLI, no compose
// binary). It also renders the equivalent docker-compose.yml as an inspectable artifact.
//
// Everything it creates carries the sindri.dev/* labels and deterministic names derived from the
// environment name: container <env>, home volume <env>_home (mounted at /alt/home/developer),
// DinD volume <env>_docker (privileged DinD only) and network <env>_net (bridge mode only). It
// finds its resources again from those names and labels alone, and it never modifies or removes
// anything that does not carry its labels.
package docker

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Name is the provider's registry name.
const Name = "docker"

// Defaults used when Config leaves a field empty.
const (
	DefaultBindAddress = "127.0.0.1"
	DefaultTimeout     = 60 * time.Second
	DefaultStopTimeout = 10 * time.Second
	// DefaultStableFor is short: a workload that "exits at once" does so within milliseconds,
	// and the engine's first restart follows within 100 ms, so a few fast polls over this
	// window see it, while a healthy deploy without ports waits little longer than its start.
	DefaultStableFor = 300 * time.Millisecond
	// cleanupTimeout bounds rollback work that runs after the caller's context is gone.
	cleanupTimeout = 30 * time.Second
)

// Config configures a Provider. The caller (cmd/*) reads DOCKER_HOST and friends; this package
// never reads the environment.
type Config struct {
	// Host is the engine address, e.g. "unix:///var/run/docker.sock" or "tcp://127.0.0.1:2375".
	// Empty means the platform default socket.
	Host string
	// TLSCAFile, TLSCertFile and TLSKeyFile enable TLS to a tcp:// engine (DOCKER_CERT_PATH's
	// ca.pem, cert.pem and key.pem); all empty means no TLS.
	TLSCAFile, TLSCertFile, TLSKeyFile string
	// BindAddress is the host address published ports bind to when a port spec does not name
	// one. Default 127.0.0.1: publishing on all interfaces must be asked for explicitly.
	BindAddress string
	// ComposeDir, when set, makes Deploy write the rendered compose file (which never holds
	// secret values) to <ComposeDir>/<env>/docker-compose.yml.
	ComposeDir string
	// StopTimeout is the grace period between SIGTERM and SIGKILL on Stop and replacement.
	StopTimeout time.Duration
	// DefaultTimeout bounds Deploy's and Start's wait for readiness when Spec.Options.Timeout is 0.
	DefaultTimeout time.Duration
	// SeparateNetwork says this process runs in its own network namespace (a container on a
	// bridge network, as a GitHub container action does), so ports the engine publishes on its
	// host are not reachable from here even though the engine is local. Port pre-flight checks
	// and TCP readiness probes are then skipped; readiness is a container that has kept running
	// for StableFor (and is healthy, when its image has a HEALTHCHECK).
	SeparateNetwork bool
	// StableFor is how long a container must have been running to count as ready when no
	// published TCP port can be probed: a remote engine, a separate network, or none
	// published (default DefaultStableFor). One that exits sooner fails the deploy.
	StableFor time.Duration
	// PublicURL, when set, is the template of every environment's public URL, e.g.
	// https://{env}.preview.example.com: it becomes the environment's URL (Connection,
	// Status, outputs), its containers carry routing labels for a reverse proxy (Caddy,
	// caddy-docker-proxy, Traefik), and its ports are published on host ports the engine
	// picks, so the proxy tells environments apart by name.
	PublicURL string
	// CaddyAdmin, when set (with PublicURL), is the address of Caddy's admin API
	// (http://127.0.0.1:2019) into which the provider loads one route per running environment
	// on every deploy, start, stop and destroy (SyncRoutes).
	CaddyAdmin string
	// SSHConfigFile, for an ssh:// Host, is the ssh client configuration passed with -F
	// (identity, known hosts, port); empty means ssh's defaults.
	SSHConfigFile string
	// CaddyListen is the listen address list of the Caddy server the routes go in (comma
	// separated; default the public URL's port, else :443 or :80).
	CaddyListen string
}

// Provider is the Docker provider. It is safe for concurrent use on different environments.
type Provider struct {
	cli         *client.Client
	host        string
	bindAddress string
	composeDir  string
	stopTimeout time.Duration
	timeout     time.Duration
	separateNet bool
	stableFor   time.Duration
	public      *publicURL // nil: environments have no public URL
	caddy       *caddySync // nil: routes are left to the operator's proxy
}

var _ providers.Provider = (*Provider)(nil)

// New returns a Provider for the engine at cfg.Host with API version negotiation on (engines
// here speak older API versions than the client's default). It does not contact the engine;
// an unreachable engine surfaces on the first operation as an error wrapping
// providers.ErrUnavailable that names the address. New returns an error wrapping
// providers.ErrInvalidSpec when cfg.Host, cfg.BindAddress, cfg.PublicURL,
// cfg.CaddyAdmin or cfg.CaddyListen cannot be used.
func New(cfg Config) (*Provider, error) {
	host := cfg.Host
	if host == "" {
		host = client.DefaultDockerHost
	}
	if _, err := client.ParseHostURL(host); err != nil {
		return nil, fmt.Errorf("docker: engine host %q: %w: %w", host, providers.ErrInvalidSpec, err)
	}
	bind := cfg.BindAddress
	if bind == "" {
		bind = DefaultBindAddress
	}
	if _, err := netip.ParseAddr(bind); err != nil {
		return nil, fmt.Errorf("docker: bind address %q: %w: %w", bind, providers.ErrInvalidSpec, err)
	}
	var pub *publicURL
	if cfg.PublicURL != "" {
		var err error
		if pub, err = parsePublicURL(cfg.PublicURL); err != nil {
			return nil, err
		}
	}
	var cs *caddySync
	if cfg.CaddyAdmin != "" {
		var err error
		if cs, err = newCaddySync(cfg.CaddyAdmin, cfg.CaddyListen, pub); err != nil {
			return nil, err
		}
	}
	opts := []client.Opt{client.WithHost(host), client.WithAPIVersionNegotiation()}
	if strings.HasPrefix(host, "ssh://") {
		dial, err := sshDialer(host, cfg.SSHConfigFile)
		if err != nil {
			return nil, err
		}
		// As the docker CLI does: a placeholder HTTP host, every connection made by ssh.
		opts = []client.Opt{client.WithHost("http://docker.example.com"), client.WithDialContext(dial), client.WithAPIVersionNegotiation()}
	}
	if cfg.TLSCAFile != "" || cfg.TLSCertFile != "" || cfg.TLSKeyFile != "" {
		opts = append(opts, client.WithTLSClientConfig(cfg.TLSCAFile, cfg.TLSCertFile, cfg.TLSKeyFile))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: client for %s: %w", host, err)
	}
	p := &Provider{cli: cli, host: host, bindAddress: bind, composeDir: cfg.ComposeDir,
		stopTimeout: cfg.StopTimeout, timeout: cfg.DefaultTimeout,
		separateNet: cfg.SeparateNetwork, stableFor: cfg.StableFor, public: pub, caddy: cs}
	if p.stableFor <= 0 {
		p.stableFor = DefaultStableFor
	}
	if p.stopTimeout <= 0 {
		p.stopTimeout = DefaultStopTimeout
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	return p, nil
}

// Close releases the client's connections.
func (p *Provider) Close() error { return p.cli.Close() }

// Host returns the engine address the provider talks to.
func (p *Provider) Host() string { return p.host }

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Capabilities implements providers.Provider.
func (p *Provider) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		GPU:          true,
		StopStart:    true,
		ConnectKinds: []providers.ConnectKind{providers.ConnectExec, providers.ConnectHTTP},
		StopMode:     "stop",
		Credentials:  []string{secretDockerUsername, secretDockerPassword, secretDockerRegistry},
	}
}

// localEngine reports whether published ports are reachable on this machine (the engine runs
// here), so TCP readiness checks and port pre-flight checks make sense.
func (p *Provider) localEngine() bool {
	if p.separateNet {
		return false
	}
	u, err := url.Parse(p.host)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "unix", "npipe":
		return true
	case "tcp", "http", "https":
		h := u.Hostname()
		return h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1"
	}
	return false
}

func (p *Provider) timeoutFor(s *providers.Spec) time.Duration {
	if s.Options.Timeout > 0 {
		return s.Options.Timeout
	}
	return p.timeout
}
