package kubernetes

import (
	"os"
	"path/filepath"
)

// ConfigFromEnv builds a Config from the variables the mains read, through getenv (this
// package reads no environment itself): KUBECONFIG, else $HOME/.kube/config when that file
// exists. pkg/providers/builtin puts the provider block's kubeconfig and context settings on
// top.
func ConfigFromEnv(getenv func(string) string) Config {
	kc := getenv(KubeconfigVar)
	if kc == "" {
		if home := getenv("HOME"); home != "" {
			if def := filepath.Join(home, ".kube", "config"); fileExists(def) {
				kc = def
			}
		}
	}
	return Config{Kubeconfig: kc}
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
