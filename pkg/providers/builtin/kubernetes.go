//go:build !nokubernetes

package builtin

import (
	"fmt"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/kubernetes"
)

// kubernetesRows is the kubernetes row. The action image is built with -tags nokubernetes
// (scripts/build-action-image.sh): client-go adds about 19 MB to a 24 MB binary, and the
// image's bar is 25 MB (DESIGN.md) with a hard limit of 40 MiB (e2e/act). Executors keep it.
var kubernetesRows = []Entry{{Name: kubernetes.Name, Settings: kubernetesSettings, New: newKubernetes}}

// kubernetesSettings are the kubernetes block's settings: kubeconfig (the kubeconfig path, or
// paths joined with ':' as in KUBECONFIG; default KUBECONFIG, else ~/.kube/config when it
// exists) and context (the context this executor is pinned to; default the config's
// providers.kubernetes.context, else the kubeconfig's current context).
var kubernetesSettings = []string{"kubeconfig", "context"}

// newKubernetes is the kubernetes row's constructor. A missing kubeconfig is not an error
// here: the provider's operations return providers.MissingCredential (a job may bring its own
// as the credential KUBECONFIG_DATA).
func newKubernetes(getenv func(string) string, settings map[string]string) (providers.Provider, error) {
	cfg := kubernetes.ConfigFromEnv(getenv)
	if v, ok := settings["kubeconfig"]; ok {
		if v == "" {
			return nil, &SettingError{Setting: "kubeconfig", Err: fmt.Errorf("empty: name a kubeconfig file, or leave the setting out")}
		}
		cfg.Kubeconfig = v
	}
	cfg.Context = settings["context"]
	return kubernetes.New(cfg)
}
