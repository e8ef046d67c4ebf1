package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1client "k8s.io/client-go/kubernetes/typed/apps/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	networkingv1client "k8s.io/client-go/kubernetes/typed/networking/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// kube is a client for one cluster context.
type kube struct {
	core corev1client.CoreV1Interface
	apps appsv1client.AppsV1Interface
	net  networkingv1client.NetworkingV1Interface
	meta metadata.Interface
	// context is the kubeconfig context's name ("" for a REST config without one).
	context string
	server  string
}

// clientCache keeps one client per kubeconfig source and context.
type clientCache struct {
	mu sync.Mutex
	m  map[string]*kube
}

func newClientCache() *clientCache { return &clientCache{m: map[string]*kube{}} }

// client returns the client for s: context is the handle's (teardown) when set, else the
// config's, else the executor's pinned one, else the kubeconfig's current context.
//
// The kubeconfig is, in order: Config.RESTConfig; the executor's (Config.Kubeconfig, from its
// provider block or KUBECONFIG); the job's KUBECONFIG_DATA credential. The executor's wins so
// that an executor bound to a cluster cannot be pointed at another one by a job, as FLY_API_TOKEN
// works for fly. Errors: providers.MissingCredential when there is none, ErrInvalidSpec for a
// context the executor does not allow or a kubeconfig that does not load.
func (p *Provider) client(s *providers.Spec, context string) (*kube, error) {
	if context == "" && s.Config != nil && s.Config.Providers.Kubernetes != nil {
		context = s.Config.Providers.Kubernetes.Context
	}
	if p.cfg.Context != "" {
		if context != "" && context != p.cfg.Context {
			return nil, fmt.Errorf("kubernetes: context %q: %w: this executor is pinned to context %q (its provider \"kubernetes\" block); remove providers.kubernetes.context or use that one", context, providers.ErrInvalidSpec, p.cfg.Context)
		}
		context = p.cfg.Context
	}
	switch {
	case p.cfg.RESTConfig != nil:
		return p.clients.get("rest\x00", func() (*kube, error) {
			return newKube(rest.CopyConfig(p.cfg.RESTConfig), p.cfg.ContextName)
		})
	case p.cfg.Kubeconfig != "":
		return p.clients.get("path\x00"+p.cfg.Kubeconfig+"\x00"+context, func() (*kube, error) {
			rules := &clientcmd.ClientConfigLoadingRules{Precedence: strings.Split(p.cfg.Kubeconfig, ":")}
			return fromClientConfig(clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
				&clientcmd.ConfigOverrides{CurrentContext: context}), context, "the kubeconfig "+p.cfg.Kubeconfig)
		})
	}
	data := s.Credential(CredentialKubeconfig)
	if data == "" {
		return nil, providers.MissingCredential(Name, KubeconfigVar+" (or the job credential "+CredentialKubeconfig+")")
	}
	sum := sha256.Sum256([]byte(data))
	return p.clients.get("data\x00"+hex.EncodeToString(sum[:])+"\x00"+context, func() (*kube, error) {
		raw, err := clientcmd.Load([]byte(data))
		if err != nil {
			// The loader's message may quote the content: it is not repeated.
			return nil, fmt.Errorf("kubernetes: credential %s is not a kubeconfig: %w", CredentialKubeconfig, providers.ErrAuth)
		}
		return fromClientConfig(clientcmd.NewNonInteractiveClientConfig(*raw, context, &clientcmd.ConfigOverrides{}, nil), context, "the kubeconfig in "+CredentialKubeconfig)
	})
}

func (c *clientCache) get(key string, make func() (*kube, error)) (*kube, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.m[key]; ok {
		return k, nil
	}
	k, err := make()
	if err != nil {
		return nil, err
	}
	c.m[key] = k
	return k, nil
}

// fromClientConfig resolves a kubeconfig's context (requested, or its current context) into a
// client; from names the source for messages.
func fromClientConfig(cc clientcmd.ClientConfig, requested, from string) (*kube, error) {
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %s does not load: %w: %v", from, providers.ErrInvalidSpec, err)
	}
	rc, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, providers.MissingCredential(Name, KubeconfigVar)
		}
		return nil, fmt.Errorf("kubernetes: %s: %w: %v (its contexts: %s)", from, providers.ErrInvalidSpec, err, contextNames(raw.Contexts))
	}
	name := requested
	if name == "" {
		name = raw.CurrentContext
	}
	return newKube(rc, name)
}

func contextNames[V any](m map[string]V) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func newKube(rc *rest.Config, context string) (*kube, error) {
	rc.QPS, rc.Burst = 50, 100
	if rc.Timeout == 0 {
		rc.Timeout = 30 * time.Second
	}
	rc.UserAgent = "sindri-deploy"
	// Three typed clients rather than the whole clientset: the binary links only these groups.
	k := &kube{context: context, server: rc.Host}
	var err error
	if k.core, err = corev1client.NewForConfig(rc); err == nil {
		if k.apps, err = appsv1client.NewForConfig(rc); err == nil {
			if k.net, err = networkingv1client.NewForConfig(rc); err == nil {
				k.meta, err = metadata.NewForConfig(rc)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes: client for %s: %w: %v", rc.Host, providers.ErrInvalidSpec, err)
	}
	return k, nil
}

// serverVersion is the API server's version (GET /version, which every authenticated user may
// read); errors are classified.
func (k *kube) serverVersion(ctx context.Context) (string, error) {
	b, err := k.core.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return "", k.classify("read server version", err)
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("kubernetes: server version: %w", err)
	}
	return v.GitVersion, nil
}
