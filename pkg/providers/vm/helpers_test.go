package vm_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// loadPacker loads a sindri.yaml whose providers.packer block is block (indented under
// packer:), with defaults applied.
func loadPacker(t *testing.T, block string) *config.Config {
	t.Helper()
	y := "version: \"3.0\"\nname: vm-test\ndeployment:\n  provider: packer\nproviders:\n  packer:\n" + indent(block, "    ")
	c, diags := config.Load("sindri.yaml", []byte(y))
	if c == nil {
		t.Fatalf("config does not load: %v\n%s", diags, y)
	}
	return c
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// packerBinary returns Debian's packer 1.6.6 from scripts/tools.sh (or SINDRI_PACKER_BIN),
// and skips the test without SINDRI_HEAVY=1.
func packerBinary(t *testing.T) string {
	t.Helper()
	return providertest.ToolBinary(t, "packer", "SINDRI_PACKER_BIN")
}

// writeFiles writes rendered files under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeCloudEnv is an environment with fake credentials for every cloud; full validation with
// them needs no network. OCI's key must be PKCS#1: the builder reads nothing else.
func fakeCloudEnv(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "oci.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := os.WriteFile(key, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake-aws-secret-canary", "AWS_EC2_METADATA_DISABLED": "true",
		"AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001", "AZURE_CLIENT_SECRET": "fake-azure-secret-canary",
		"AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000002", "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000003",
		"GCP_PROJECT_ID": "fake-project",
		"OCI_USER_OCID":  "ocid1.user.oc1..fake", "OCI_TENANCY_OCID": "ocid1.tenancy.oc1..fake", "OCI_FINGERPRINT": "aa:bb:cc:dd",
		"OCI_KEY_FILE": key, "OCI_REGION": "us-phoenix-1", "OCI_COMPARTMENT_OCID": "ocid1.compartment.oc1..fake", "OCI_SUBNET_OCID": "ocid1.subnet.oc1..fake",
		"ALICLOUD_ACCESS_KEY": "fake-ali-key", "ALICLOUD_SECRET_KEY": "fake-ali-secret-canary",
	}
}
