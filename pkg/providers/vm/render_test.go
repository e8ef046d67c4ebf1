package vm_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// renderCase is one providers.packer block and what rendering it gives.
type renderCase struct {
	name  string
	block string
	mode  vm.Mode
	// refused names the setting a *RefusedError must name; such a case has no golden.
	refused string
	// warns is a substring a warning must hold.
	warns string
}

const allBuildOptions = `build:
  extensions: [docker, nodejs]
  profile: fullstack
  sindri_version: "3.1.0"
  cache: false
  ssh_timeout: 45m
  environment:
    HTTP_PROXY: http://proxy.internal:3128
    LITERAL: "${not_an_interpolation}"
  security:
    cis_hardening: true
    openscap_scan: true
    clean_sensitive_data: false
    remove_ssh_keys: false
tags:
  team: platform
  cost-center: "42"
description: Team image
image_name: team-image
`

// renderCases cover every cloud and every option each of them renders, in both modes.
var renderCases = []renderCase{
	{name: "aws-defaults", block: "cloud: aws\n"},
	{name: "aws-all-options", block: "cloud: aws\n" + allBuildOptions + `aws:
  region: eu-west-1
  instance_type: m6i.large
  volume_size: 120
  volume_type: gp2
  encrypt_boot: false
  vpc_id: vpc-0abc
  subnet_id: subnet-0abc
  ami_regions: [eu-central-1, us-east-1]
  ami_users: ["123456789012"]
  ami_groups: [all]
`},
	{name: "aws-io1-encrypted", block: "cloud: aws\nimage_id: ami-0123456789abcdef0\naws:\n  volume_type: io1\n  encrypt_boot: true\n  ami_regions: [us-east-1]\n"},
	{name: "aws-standard-volume", block: "cloud: aws\naws:\n  volume_type: standard\n"},
	{name: "aws-encrypted-shared", block: "cloud: aws\naws:\n  encrypt_boot: true\n  ami_users: [\"123456789012\"]\n", refused: "aws.encrypt_boot"},
	{name: "aws-encrypted-public", block: "cloud: aws\naws:\n  ami_groups: [all]\n", refused: "aws.encrypt_boot"},
	{name: "azure-defaults", block: "cloud: azure\n"},
	{name: "azure-all-options", block: "cloud: azure\n" + allBuildOptions + `azure:
  subscription_id: 11111111-1111-1111-1111-111111111111
  resource_group: images-rg
  location: northeurope
  vm_size: Standard_D2s_v5
  os_disk_size_gb: 64
  storage_account_type: Standard_LRS
  gallery:
    gallery_name: sindri_gallery
    image_name: sindri-dev
    image_version: 2.3.4
    replication_regions: [northeurope, westeurope]
`},
	{name: "azure-gallery-default-replication", block: "cloud: azure\nazure:\n  gallery:\n    gallery_name: g\n    image_name: d\n"},
	{name: "azure-image-id-ignored", block: "cloud: azure\nimage_id: /subscriptions/x/images/y\n", warns: "image_id is ignored on azure"},
	{name: "gcp-defaults", block: "cloud: gcp\n"},
	{name: "gcp-all-options", block: "cloud: gcp\n" + allBuildOptions + `gcp:
  project_id: my-project
  zone: europe-west4-b
  machine_type: n2-standard-4
  disk_size: 50
  disk_type: pd-balanced
  enable_secure_boot: true
  image_family: sindri
  network: default
  subnetwork: build-subnet
`},
	{name: "gcp-image-id", block: "cloud: gcp\nimage_id: ubuntu-2204-jammy-v20240126\ngcp:\n  disk_type: pd-standard\n"},
	{name: "oci-fixed-shape", block: "cloud: oci\noci:\n  availability_domain: Uocm:PHX-AD-1\n  shape: VM.Standard2.1\n"},
	{name: "oci-all-options", block: "cloud: oci\n" + allBuildOptions + `image_id: ocid1.image.oc1..base
oci:
  compartment_ocid: ocid1.compartment.oc1..mine
  subnet_ocid: ocid1.subnet.oc1..mine
  availability_domain: Uocm:PHX-AD-2
  shape: VM.Standard2.2
  boot_volume_size_gb: 100
  shape_config: {ocpus: 2, memory_in_gbs: 8}
`, warns: "shape_config is ignored"},
	{name: "oci-flex-legacy", block: "cloud: oci\noci:\n  availability_domain: Uocm:PHX-AD-1\n", refused: "oci.shape"},
	{name: "oci-flex-plugins", mode: vm.ModePlugins, block: "cloud: oci\noci:\n  availability_domain: Uocm:PHX-AD-1\n  shape_config: {ocpus: 4, memory_in_gbs: 32}\n"},
	{name: "oci-flex-plugins-default-size", mode: vm.ModePlugins, block: "cloud: oci\noci:\n  availability_domain: Uocm:PHX-AD-1\n"},
	{name: "alibaba-defaults", block: "cloud: alibaba\n"},
	{name: "alibaba-all-options", block: "cloud: alibaba\n" + allBuildOptions + `image_id: m-base-image
alibaba:
  region: cn-shanghai
  instance_type: ecs.g7.large
  system_disk_size_gb: 40
  system_disk_category: cloud_ssd
  vswitch_id: vsw-0abc
`},
	{name: "aws-plugins", mode: vm.ModePlugins, block: "cloud: aws\n"},
	{name: "azure-plugins", mode: vm.ModePlugins, block: "cloud: azure\n"},
	{name: "gcp-plugins", mode: vm.ModePlugins, block: "cloud: gcp\n"},
	{name: "alibaba-plugins", mode: vm.ModePlugins, block: "cloud: alibaba\n"},
	{name: "user-scripts", block: "cloud: aws\nbuild:\n  scripts: [setup.sh]\n", refused: "build.scripts"},
}

var testLabels = map[string]string{providers.LabelEnv: "team-image", providers.LabelRepo: "acme/app"}

func renderOf(t *testing.T, rc renderCase) (*vm.Rendered, error) {
	t.Helper()
	c := loadPacker(t, rc.block)
	return vm.Render(vm.Input{Config: c.Providers.Packer, Mode: rc.mode, Labels: testLabels})
}

// TestRenderGolden pins every case's files in testdata/golden/<case>/.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for _, rc := range renderCases {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			out, err := renderOf(t, rc)
			if rc.refused != "" {
				var re *vm.RefusedError
				if !errors.As(err, &re) || re.Setting != rc.refused || !errors.Is(err, providers.ErrInvalidSpec) {
					t.Fatalf("Render: got %v, want a refusal of %s matching ErrInvalidSpec", err, rc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rc.warns != "" && !slices.ContainsFunc(out.Warnings, func(w string) bool { return strings.Contains(w, rc.warns) }) {
				t.Errorf("warnings %q, want one containing %q", out.Warnings, rc.warns)
			}
			tmpl := out.Files[out.Template]
			if strings.Contains(tmpl, "{{timestamp") || strings.Contains(tmpl, "{{ timestamp") {
				t.Errorf("template uses the legacy {{timestamp}}")
			}
			if got := strings.Contains(tmpl, "required_plugins"); got != (rc.mode == vm.ModePlugins) {
				t.Errorf("required_plugins present = %v in mode %s", got, rc.mode)
			}
			dir := filepath.Join("testdata", "golden", rc.name)
			if golden.Updating() {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				writeFiles(t, dir, map[string]string{out.Template: tmpl})
				return
			}
			want, err := os.ReadFile(filepath.Join(dir, out.Template))
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if tmpl != string(want) {
				t.Errorf("%s differs from its golden file (run go test -update and review the diff):\n%s", out.Template, tmpl)
			}
		})
	}
}

// TestRenderScripts checks which shipped scripts each case gets: hardening only when asked,
// cleanup always last and never regenerating host keys.
func TestRenderScripts(t *testing.T) {
	t.Parallel()
	for _, rc := range []struct {
		block string
		want  []string
	}{
		{"cloud: aws\n", []string{"scripts/cleanup.sh", "scripts/init.sh", "scripts/install-sindri.sh"}},
		{"cloud: aws\nbuild:\n  security: {cis_hardening: true}\n", []string{"scripts/cleanup.sh", "scripts/init.sh", "scripts/install-sindri.sh", "scripts/security-hardening.sh"}},
		{"cloud: aws\nbuild:\n  security: {openscap_scan: true}\n", []string{"scripts/cleanup.sh", "scripts/init.sh", "scripts/install-sindri.sh", "scripts/security-hardening.sh"}},
	} {
		out, err := renderOf(t, renderCase{block: rc.block})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for name := range maps.Keys(out.Files) {
			if name != out.Template {
				got = append(got, name)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, rc.want) {
			t.Errorf("%q: scripts %v, want %v", rc.block, got, rc.want)
		}
		tmpl := out.Files[out.Template]
		if i, j := strings.Index(tmpl, "scripts/cleanup.sh"), strings.Index(tmpl, "scripts/install-sindri.sh"); i < j {
			t.Errorf("cleanup.sh does not run last")
		}
		cleanup := out.Files["scripts/cleanup.sh"]
		for _, regen := range []string{"ssh-keygen", "dpkg-reconfigure openssh"} {
			if strings.Contains(cleanup, regen) {
				t.Errorf("cleanup.sh regenerates host keys (%s): they would be baked into the image", regen)
			}
		}
	}
}

// TestRenderValidates runs Debian's packer 1.6.6 full `validate` on every legacy-mode case,
// offline, with fake credentials in packer's environment only.
func TestRenderValidates(t *testing.T) {
	bin := packerBinary(t)
	fake := fakeCloudEnv(t)
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "CHECKPOINT_DISABLE=1"}
	for k, v := range fake {
		env = append(env, k+"="+v)
	}
	for _, rc := range renderCases {
		if rc.refused != "" || rc.mode != vm.ModeLegacy {
			continue
		}
		t.Run(rc.name, func(t *testing.T) {
			out, err := renderOf(t, rc)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range fake {
				if strings.Contains(v, "fake") && strings.Contains(out.Files[out.Template], v) {
					t.Fatalf("the template holds a credential value")
				}
			}
			dir := t.TempDir()
			writeFiles(t, dir, out.Files)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "validate", dir)
			cmd.Env = env
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("packer validate: %v\n%s\n%s", err, b, out.Files[out.Template])
			}
		})
	}
}
