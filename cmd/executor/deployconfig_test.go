package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestDeployedConfigLoads loads the executor.hcl the Kubernetes manifests ship (its ConfigMap)
// with the executor's own loader, its secret file paths pointed at a fresh key in a temporary
// folder: the packaged configuration is one the executor accepts.
func TestDeployedConfigLoads(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/kubernetes/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := keygen([]string{"-o", filepath.Join(dir, "secrets.key")}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	hcl := strings.ReplaceAll(cm.Data["executor.hcl"], "/etc/sindri/secrets/", dir+"/")
	file := filepath.Join(dir, "executor.hcl")
	if err := os.WriteFile(file, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig([]string{"-config", file}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatalf("the ConfigMap's executor.hcl does not load: %v", err)
	}
	if cfg.MetricsListen != ":9090" || len(strings.Split(cfg.NATSURL, ",")) != 3 || cfg.StreamReplicas != 3 || cfg.SecretsKey == nil {
		t.Errorf("config %+v: want metrics on :9090 (the probes' port), three NATS URLs, replicas 3, a secrets key", cfg)
	}
}
