package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2/ec2test"
)

// guidePacker is the provider guide's VM example.
const guidePacker = "/work/shared/fixtures/guide-examples/packer.sindri.yaml"

// TestLocalVMGuideCommands runs the guide's `vm` commands on its example against the EC2
// fake, through the whole local path (embedded bus, executor, packer provider): deploy finds
// the image built from the config and starts an instance, plan writes what the launch
// sends, list shows the image, delete removes it, destroy terminates the instance.
func TestLocalVMGuideCommands(t *testing.T) {
	t.Parallel()
	yaml, err := os.ReadFile(guidePacker)
	if err != nil {
		yaml, err = os.ReadFile("testdata/packer.sindri.yaml")
	}
	if err != nil {
		t.Skipf("the guide example is not on this machine: %v", err)
	}
	cfgPath, f, env, ami := awsLocal(t, yaml)
	cr := f.Credentials()
	getenv := func(k string) string { return env[k] }
	sh := localShell(t, getenv, cr.SecretAccessKey)
	arts := filepath.Join(filepath.Dir(cfgPath), "plan")
	sh(2, "local", "vm", "deploy", "--cloud", "gcp", "-c", cfgPath)
	out := sh(0, "local", "plan", "-c", cfgPath, "-artifacts", arts)
	launch, err := os.ReadFile(filepath.Join(arts, "ec2", "run-instances.txt"))
	if err != nil || !strings.Contains(string(launch), "ImageId="+ami) || !strings.Contains(string(launch), "InstanceType=t3.large") {
		t.Fatalf("plan artifacts: %v\n%s\n%s", err, launch, out)
	}
	if _, err := os.Stat(filepath.Join(arts, "aws.pkr.hcl")); err != nil {
		t.Errorf("plan wrote no template: %v", err)
	}
	out = sh(0, "local", "vm", "deploy", "--cloud", "aws", "-c", cfgPath)
	ids := f.Instances(providers.LabelEnv, "guide-packer")
	if len(ids) != 1 || !strings.Contains(out, "ssh ubuntu@203.0.113.") {
		t.Fatalf("instances %v after vm deploy; output:\n%s", ids, out)
	}
	if out := sh(0, "local", "vm", "list", "--cloud", "aws", "-c", cfgPath); !strings.Contains(out, ami) {
		t.Errorf("vm list does not show %s:\n%s", ami, out)
	}
	sh(0, "local", "destroy", "-provider", "packer", "-c", cfgPath)
	if left := f.Instances(providers.LabelEnv, "guide-packer"); len(left) != 0 {
		t.Errorf("instances left after destroy: %v", left)
	}
	sh(2, "local", "vm", "delete", "--cloud", "aws", "-c", cfgPath)
	sh(0, "local", "vm", "delete", "--cloud", "aws", "--id", ami, "-c", cfgPath)
	if len(f.Images()) != 0 || len(f.Snapshots()) != 0 {
		t.Errorf("images %v, snapshots %v left after vm delete", f.Images(), f.Snapshots())
	}
	out = sh(1, "local", "vm", "doctor", "--cloud", "aws")
	if !strings.Contains(out, "AWS_ACCESS_KEY_ID is set") || strings.Contains(out, cr.AccessKeyID) {
		t.Errorf("vm doctor:\n%s", out)
	}
}

// awsLocal writes yaml, a packer config on AWS us-west-2, as sindri.yaml in a new folder,
// starts an EC2 fake holding the image built from it (ami), and returns the file, the fake and
// the environment of `local` calls on it (the packer settings pointing at the fake, no packer
// binary, the folder as HOME).
func awsLocal(t *testing.T, yaml []byte) (cfgPath string, f *ec2test.Fake, env map[string]string, ami string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath = filepath.Join(dir, "sindri.yaml")
	if err := os.WriteFile(cfgPath, yaml, 0o600); err != nil {
		t.Fatal(err)
	}
	c, diags := config.Load(cfgPath, yaml)
	if c == nil {
		t.Fatal(diags)
	}
	f = ec2test.New(t, ec2test.Options{Region: "us-west-2", Transition: 10 * time.Millisecond})
	ami = f.AddImage("sindri-dev-20261205000000", vm.ImageTags(c.Providers.Packer), time.Now())
	cr := f.Credentials()
	env = map[string]string{
		"HOME": dir, "PATH": "/usr/bin:/bin", "USER": "tester",
		"AWS_ACCESS_KEY_ID": cr.AccessKeyID, "AWS_SECRET_ACCESS_KEY": cr.SecretAccessKey,
		"SINDRI_PACKER_EC2_ENDPOINT": f.URL, "SINDRI_PACKER_BINARY": filepath.Join(dir, "no-packer"),
		"SINDRI_PACKER_REGIONS": "us-west-2", "SINDRI_PACKER_POLL_INTERVAL": "20ms",
	}
	return cfgPath, f, env, ami
}
