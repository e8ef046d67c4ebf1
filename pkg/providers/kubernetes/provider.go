// Package kubernetes is the Kubernetes provider: it runs one Sindri environment as one
// single-replica Deployment in a namespace of a cluster, through client-go with server-side
// apply (field manager "sindri", forced) and typed apply configurations, never kubectl and
// never rendered YAML.
//
// For an environment env in namespace ns (providers.kubernetes.namespace, default "default")
// it makes: the namespace when it does not exist (labelled as ours, and deleted by Destroy
// once no Deployment is left in it); the Secret env-secrets (the job's secrets, read by the
// container through envFrom); the pull Secret env-registry (kubernetes.io/dockerconfigjson,
// built from the DOCKER_USERNAME/DOCKER_PASSWORD credentials, only when they are set); the
// PersistentVolumeClaim env-home-pvc (the home volume, ReadWriteOnce); the Deployment env
// (strategy Recreate, requests equal limits, nvidia.com/gpu with its toleration); the Service
// env (ClusterIP, ssh 22 → the container's 2222); and the Ingress env when
// providers.kubernetes.ingress.enabled. Every object carries the labels sindri.dev/env and
// sindri.dev/managed-by; spec labels whose values a Kubernetes label cannot hold (the
// repository's "owner/name", expires-at's timestamp) are annotations of the same key.
//
// Stop and Start scale the Deployment through its scale subresource (0 and 1 replicas); a
// Deployment of 0 replicas is stopped, never notdeployed. Deploy waits for the Deployment's
// observedGeneration and availableReplicas, and fails within a poll when the pod crash-loops
// or cannot pull its image, with its last log lines. Teardown verbs find the environment from
// the handle (kubeconfig context, namespace, name) and the labels, without the config.
package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Name is the provider's registry name.
const Name = "kubernetes"

// Credential names the provider consumes (Capabilities.Credentials).
const (
	// CredentialKubeconfig is a job credential holding a whole kubeconfig, used when the
	// executor has none of its own.
	CredentialKubeconfig = "KUBECONFIG_DATA"
	// KubeconfigVar is the executor variable with the kubeconfig path(s), named by the
	// missing-credential error.
	KubeconfigVar      = "KUBECONFIG"
	credDockerUsername = "DOCKER_USERNAME"
	credDockerPassword = "DOCKER_PASSWORD"
	credDockerRegistry = "DOCKER_REGISTRY"
)

// Defaults used when Config leaves a field empty.
const (
	DefaultTimeout      = 10 * time.Minute
	DefaultPollInterval = time.Second
	// DefaultCrashRestarts is the restart count at which a container counts as crash-looping
	// even before the kubelet says CrashLoopBackOff.
	DefaultCrashRestarts = 2
	// DefaultDeleteWait bounds Destroy's wait for the objects to be gone (the PVC stays until
	// its pod is gone).
	DefaultDeleteWait = 2 * time.Minute
	// FieldManager is the server-side apply field manager of every apply.
	FieldManager = "sindri"
	// cleanupTimeout bounds rollback work that runs after the caller's context is gone.
	cleanupTimeout = time.Minute
)

// Config configures a Provider. The caller (cmd/*, through pkg/providers/builtin) reads the
// variables and the provider block; this package never reads the environment.
type Config struct {
	// Kubeconfig is the executor's kubeconfig path list (KUBECONFIG's form, ':'-separated),
	// from the provider block's kubeconfig setting or KUBECONFIG. Empty: none, and a job's
	// KUBECONFIG_DATA credential is used instead.
	Kubeconfig string
	// Context is the kubeconfig context the executor pins (the block's context setting). A
	// config naming another context is refused. Empty: the config's context, else the
	// kubeconfig's current context.
	Context string
	// RESTConfig, when set, is used instead of any kubeconfig (tests, in-cluster executors);
	// its context name is ContextName.
	RESTConfig *rest.Config
	// ContextName is the context recorded in handles and shown in commands for RESTConfig.
	ContextName string
	// Timeout bounds Deploy's and Start's wait for readiness when Spec.Options.Timeout is 0.
	Timeout time.Duration
	// PollInterval is the pause between observations while waiting.
	PollInterval time.Duration
	// CrashRestarts: see DefaultCrashRestarts.
	CrashRestarts int32
	// DeleteWait: see DefaultDeleteWait.
	DeleteWait time.Duration
}

// Provider is the Kubernetes provider. It is safe for concurrent use on different
// environments.
type Provider struct {
	cfg     Config
	clients *clientCache
}

var (
	_ providers.Provider = (*Provider)(nil)
	_ providers.Checker  = (*Provider)(nil)
	_ providers.Lister   = (*Provider)(nil)
)

// New returns a Provider for cfg. It contacts nothing and never fails for a missing
// kubeconfig (the first operation reports providers.MissingCredential).
func New(cfg Config) (*Provider, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.PollInterval, DefaultPollInterval)
	def(&cfg.DeleteWait, DefaultDeleteWait)
	if cfg.CrashRestarts <= 0 {
		cfg.CrashRestarts = DefaultCrashRestarts
	}
	return &Provider{cfg: cfg, clients: newClientCache()}, nil
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Capabilities implements providers.Provider: stop scales to 0, connection through kubectl
// exec; the handle records the context and namespace.
func (p *Provider) Capabilities() providers.Capabilities {
	return providers.Capabilities{
		GPU:          true,
		StopStart:    true,
		StopMode:     "scale0",
		ConnectKinds: []providers.ConnectKind{providers.ConnectExec},
		UsesHandle:   true,
		Credentials:  []string{CredentialKubeconfig, credDockerUsername, credDockerPassword, credDockerRegistry},
	}
}

// Check implements providers.Checker: ready when the executor has a kubeconfig (or a REST
// config) that loads and whose server answers /version within 5 seconds. Problems name the
// variable or the context, never a credential.
func (p *Provider) Check(ctx context.Context) providers.Readiness {
	k, err := p.client(&providers.Spec{}, "")
	if errors.Is(err, providers.ErrAuth) {
		return providers.Readiness{Problems: []string{KubeconfigVar + " (no kubeconfig on the executor; jobs may bring " + CredentialKubeconfig + ")"}}
	}
	if err != nil {
		return providers.Readiness{Problems: []string{err.Error()}}
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := k.serverVersion(cctx)
	if err != nil {
		return providers.Readiness{Problems: []string{err.Error()}}
	}
	return providers.Readiness{Ready: true, Version: v}
}

func (p *Provider) timeoutFor(s *providers.Spec) time.Duration {
	if s.Options.Timeout > 0 {
		return s.Options.Timeout
	}
	return p.cfg.Timeout
}

// specEnv checks the environment name every verb derives names from. Errors wrap
// providers.ErrInvalidSpec.
func specEnv(s *providers.Spec) error {
	if s == nil || !validLabel(s.Env) || s.Env[0] < 'a' || s.Env[0] > 'z' {
		env := ""
		if s != nil {
			env = s.Env
		}
		return fmt.Errorf("kubernetes: environment name %q: %w: 1 to 63 lowercase letters, digits and inner dashes, starting with a letter (a Service name)", env, providers.ErrInvalidSpec)
	}
	return nil
}
