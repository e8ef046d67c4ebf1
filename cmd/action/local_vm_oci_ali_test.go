package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud/alicloudtest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/oci/ocitest"
)

// TestLocalVMOnOCI runs the vm commands on OCI against the Core Services fake, with the
// config's alias "oracle" as --cloud.
func TestLocalVMOnOCI(t *testing.T) {
	t.Parallel()
	yaml := "version: \"3.0\"\nname: vm-oci\ndeployment:\n  provider: packer\nproviders:\n  packer:\n    cloud: oci\n    profile: minimal\n" +
		"    oci:\n      availability_domain: \"Uocm:PHX-AD-1\"\n      compartment_ocid: ocid1.compartment.oc1..local\n" +
		"      subnet_ocid: ocid1.subnet.oc1..local\n      shape: VM.Standard2.1\n"
	localVMRoundTrip(t, "oracle", yaml, func(t *testing.T, pc *config.PackerConfig, dir string) (cloudFake, string) {
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
		img := f.AddImage("sindri-dev-20261205000000", vm.ImageTags(pc), time.Now())
		return cloudFake{env: map[string]string{"OCI_TENANCY_OCID": cr.TenancyOCID, "OCI_USER_OCID": cr.UserOCID, "OCI_FINGERPRINT": cr.Fingerprint,
			"OCI_KEY_FILE": keyFile, "OCI_REGION": f.Region(), "SINDRI_PACKER_OCI_ENDPOINT": f.URL},
			instances: func() []string { return f.Instances(providers.LabelEnv, "vm-oci") },
			images:    f.Images, secret: cr.TenancyOCID}, img
	})
}

// TestLocalVMOnAlicloud runs the vm commands on Alibaba against the ECS fake, with the
// config's alias "alicloud" as --cloud.
func TestLocalVMOnAlicloud(t *testing.T) {
	t.Parallel()
	yaml := "version: \"3.0\"\nname: vm-ali\ndeployment:\n  provider: packer\nproviders:\n  packer:\n    cloud: alibaba\n    profile: minimal\n" +
		"    region: cn-hangzhou\n    alibaba:\n      vswitch_id: vsw-bp1local\n      security_group_id: sg-bp1local0001\n"
	localVMRoundTrip(t, "alicloud", yaml, func(t *testing.T, pc *config.PackerConfig, _ string) (cloudFake, string) {
		f := alicloudtest.New(t, alicloudtest.Options{Transition: 10 * time.Millisecond})
		cr := f.Credentials()
		img := f.AddImage("sindri-dev-20261205000000", vm.ImageTags(pc), time.Now())
		return cloudFake{env: map[string]string{"ALICLOUD_ACCESS_KEY": cr.AccessKeyID, "ALICLOUD_SECRET_KEY": cr.AccessKeySecret,
			"SINDRI_PACKER_ECS_ENDPOINT": f.URL, "SINDRI_PACKER_ALIBABA_REGIONS": f.Region()},
			instances: func() []string { return f.Instances(providers.LabelEnv, "vm-ali") },
			images:    f.Images, secret: cr.AccessKeySecret}, img
	})
}
