package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud/alicloudtest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci/ocitest"
)

// vmCloudFake is one cloud's fake for the local vm commands.
type vmCloudFake struct {
	image     string
	instances func() []string
	images    func() []string
}

// TestLocalVMCommandsOCIAndAlicloud runs `local vm doctor|deploy|list|delete` and `local
// destroy` on OCI and Alibaba configs against their fakes, through the whole local path.
func TestLocalVMCommandsOCIAndAlicloud(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cloud, flag, yaml string
		secret            string
		start             func(t *testing.T, dir string, c *config.Config, env map[string]string) vmCloudFake
		doctor            []string
	}{
		{cloud: "oci", flag: "oracle", yaml: `version: "3.0"
name: local-oci
deployment:
  provider: packer
providers:
  packer:
    cloud: oci
    profile: minimal
    oci:
      availability_domain: "Uocm:PHX-AD-1"
      compartment_ocid: ocid1.compartment.oc1..local
      subnet_ocid: ocid1.subnet.oc1..local
      shape: VM.Standard2.1
`, start: func(t *testing.T, dir string, c *config.Config, env map[string]string) vmCloudFake {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			keyFile := filepath.Join(dir, "oci.pem")
			if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), 0o600); err != nil {
				t.Fatal(err)
			}
			f := ocitest.New(t, ocitest.Options{Key: k, Compartment: "ocid1.compartment.oc1..local", Transition: 10 * time.Millisecond})
			cr := f.Credentials()
			for k, v := range map[string]string{"OCI_TENANCY_OCID": cr.TenancyOCID, "OCI_USER_OCID": cr.UserOCID, "OCI_FINGERPRINT": cr.Fingerprint,
				"OCI_KEY_FILE": keyFile, "OCI_REGION": f.Region(), "SINDRI_PACKER_OCI_ENDPOINT": f.URL} {
				env[k] = v
			}
			img := f.AddImage("sindri-dev-20261205000000", vm.ImageTags(c.Providers.Packer), time.Now())
			return vmCloudFake{image: img, instances: func() []string { return f.Instances(providers.LabelEnv, "local-oci") }, images: f.Images}
		}, doctor: []string{"OCI_KEY_FILE holds an RSA private key", "build, list, delete and deploy work"}},
		{cloud: "alibaba", flag: "alicloud", yaml: `version: "3.0"
name: local-ali
deployment:
  provider: packer
providers:
  packer:
    cloud: alibaba
    profile: minimal
    region: cn-hangzhou
    alibaba:
      vswitch_id: vsw-bp1local
      security_group_id: sg-bp1local0001
`, start: func(t *testing.T, _ string, c *config.Config, env map[string]string) vmCloudFake {
			f := alicloudtest.New(t, alicloudtest.Options{Transition: 10 * time.Millisecond})
			cr := f.Credentials()
			env["ALICLOUD_ACCESS_KEY"], env["ALICLOUD_SECRET_KEY"], env["SINDRI_PACKER_ECS_ENDPOINT"] = cr.AccessKeyID, cr.AccessKeySecret, f.URL
			env["ALICLOUD_REGION"] = f.Region()
			img := f.AddImage("sindri-dev-20261205000000", vm.ImageTags(c.Providers.Packer), time.Now())
			return vmCloudFake{image: img, instances: func() []string { return f.Instances(providers.LabelEnv, "local-ali") }, images: f.Images}
		}, doctor: []string{"ALICLOUD_SECRET_KEY is set", "build, list, delete and deploy work"}},
	} {
		t.Run(tc.cloud, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "sindri.yaml")
			if err := os.WriteFile(cfgPath, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, diags := config.Load(cfgPath, []byte(tc.yaml))
			if c == nil {
				t.Fatal(diags)
			}
			env := map[string]string{"HOME": dir, "PATH": "/usr/bin:/bin", "USER": "tester",
				"SINDRI_PACKER_BINARY": filepath.Join(dir, "no-packer"), "SINDRI_PACKER_POLL_INTERVAL": "20ms"}
			f := tc.start(t, dir, c, env)
			secrets := []string{env["ALICLOUD_SECRET_KEY"], env["OCI_TENANCY_OCID"], env["OCI_USER_OCID"]}
			sh := shell(t, env, secrets...)
			sh(2, "local", "vm", "deploy", "--cloud", "aws", "-c", cfgPath)
			out := sh(0, "local", "vm", "deploy", "--cloud", tc.flag, "-c", cfgPath)
			if ids := f.instances(); len(ids) != 1 || !strings.Contains(out, "ssh ubuntu@") {
				t.Fatalf("instances %v after vm deploy; output:\n%s", ids, out)
			}
			if out := sh(0, "local", "vm", "list", "--cloud", tc.cloud, "-c", cfgPath); !strings.Contains(out, f.image) {
				t.Errorf("vm list does not show %s:\n%s", f.image, out)
			}
			sh(0, "local", "destroy", "-provider", "packer", "-c", cfgPath)
			if left := f.instances(); len(left) != 0 {
				t.Errorf("instances left after destroy: %v", left)
			}
			sh(0, "local", "vm", "delete", "--cloud", tc.cloud, "--id", f.image, "-c", cfgPath)
			if left := f.images(); len(left) != 0 {
				t.Errorf("images %v left after vm delete", left)
			}
			out = sh(1, "local", "vm", "doctor", "--cloud", tc.flag) // packer is missing
			for _, want := range tc.doctor {
				if !strings.Contains(out, want) {
					t.Errorf("vm doctor lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
