package vm_test

import (
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm"
)

// image-list and image-delete on OCI: sindri's images of the config's name only, newest
// first; a foreign image is left alone; deleting twice succeeds.
func TestImagesOnOCI(t *testing.T) {
	t.Parallel()
	p, f := newOCIEnv(t, nil)
	s := ociSpec(t, "images")
	pc := s.Config.Providers.Packer
	old := f.Images()[0]
	newer := f.AddImage("sindri-dev-newer", map[string]string{"sindri.dev/image": pc.ImageName, "sindri.dev/managed-by": "sindri-deploy"}, time.Now())
	foreign := f.AddImage("someone-elses", map[string]string{"sindri.dev/image": pc.ImageName}, time.Now())
	got, err := p.ListImages(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != newer || got[1].ID != old || got[0].Region != "us-phoenix-1" || got[0].Cloud != "oci" {
		t.Fatalf("ListImages = %+v, want %s then %s in us-phoenix-1", got, newer, old)
	}
	if err := p.DeleteImage(t.Context(), s, foreign); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(f.Images(), foreign) {
		t.Errorf("a foreign image was deleted")
	}
	for range 2 {
		if err := p.DeleteImage(t.Context(), s, old); err != nil {
			t.Fatal(err)
		}
	}
	if slices.Contains(f.Images(), old) {
		t.Errorf("images %v after deleting %s", f.Images(), old)
	}
}

// image-delete on Alibaba deletes the image's snapshot too (ECS keeps it, billed).
func TestImagesOnAlicloud(t *testing.T) {
	t.Parallel()
	p, f := newAliEnv(t)
	s := aliSpec(t, "images")
	old := f.Images()[0]
	foreign := f.AddImage("someone-elses", map[string]string{"sindri.dev/image": s.Config.Providers.Packer.ImageName}, time.Now())
	got, err := p.ListImages(t.Context(), s)
	if err != nil || len(got) != 1 || got[0].ID != old || got[0].Region != "cn-hangzhou" {
		t.Fatalf("ListImages = %+v, %v; want just %s", got, err, old)
	}
	snaps := len(f.Snapshots())
	if err := p.DeleteImage(t.Context(), s, foreign); err != nil || !slices.Contains(f.Images(), foreign) {
		t.Errorf("foreign image: %v, images %v", err, f.Images())
	}
	for range 2 {
		if err := p.DeleteImage(t.Context(), s, old); err != nil {
			t.Fatal(err)
		}
	}
	if slices.Contains(f.Images(), old) || len(f.Snapshots()) != snaps-1 {
		t.Errorf("images %v snapshots %v after deleting %s", f.Images(), f.Snapshots(), old)
	}
}

// An OCI instance launched from the image carries the env's tags, cloud-init user data with
// no credential in it, the authorized keys of the config, a Flex shape's size and a public
// IP; its connection names the address.
func TestDeployOCILaunch(t *testing.T) {
	t.Parallel()
	p, f := newOCIEnv(t, nil)
	s := ociSpec(t, "launch")
	o := s.Config.Providers.Packer.OCI
	o.SSHAuthorizedKeys = "ssh-ed25519 AAAAC3NzaTEST dev@example"
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := f.Instances(providers.LabelEnv, "launch")
	if len(ids) != 1 {
		t.Fatalf("instances %v, want one", ids)
	}
	md := f.Metadata(ids[0])
	ud, _ := base64.StdEncoding.DecodeString(md["user_data"])
	if !strings.Contains(string(ud), "SINDRI_ENV=launch") || md["ssh_authorized_keys"] != o.SSHAuthorizedKeys {
		t.Errorf("metadata %v (user data %q)", md, ud)
	}
	for _, c := range ociCreds() {
		if strings.Contains(string(ud), c) {
			t.Errorf("user data holds a credential")
		}
	}
	if !strings.HasPrefix(d.Connection.SSHCommand, "ssh ubuntu@129.146.") || !strings.Contains(d.Connection.Instructions, "ssh_authorized_keys") {
		t.Errorf("connection %+v", d.Connection)
	}
	st, err := p.Status(t.Context(), s)
	if err != nil || st.State != providers.StateRunning || st.Details["oci_state"] != "RUNNING" || st.Details["region"] != "us-phoenix-1" || len(st.Addresses) != 3 {
		t.Errorf("status %+v, %v", st, err)
	}
}

// A Flex shape is launched with its shape_config (memory defaulting to 16 GB), which the fake
// requires of Flex shapes and refuses for fixed ones.
func TestDeployOCIFlexShape(t *testing.T) {
	t.Parallel()
	p, f := newOCIEnv(t, nil)
	s := ociSpec(t, "flex")
	s.Config = loadConfig(t, strings.Replace(ociYAML, "      shape: VM.Standard2.1\n", "      shape: VM.Standard.E4.Flex\n      shape_config: {ocpus: 4}\n", 1))
	pc := s.Config.Providers.Packer
	f.AddImage(pc.ImageName+"-flex", vm.ImageTags(pc), time.Now())
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Messages[0], "VM.Standard.E4.Flex") {
		t.Errorf("messages %v", d.Messages)
	}
	var launched bool
	for _, e := range f.API.Requests() {
		if e.Route == "POST /20160918/instances" && e.Status == 200 {
			launched = strings.Contains(e.Body, `"shapeConfig":{"memoryInGBs":16,"ocpus":4}`)
		}
	}
	if !launched {
		t.Error("no launch with shapeConfig 4 OCPUs, 16 GB")
	}
}

// Deploy on OCI and Alibaba without their credentials names the missing variable, before
// any request.
func TestDeployMissingCloudCredential(t *testing.T) {
	t.Parallel()
	_, fo := newOCIEnv(t, nil)
	s := ociSpec(t, "nocred")
	s.Credentials = slices.DeleteFunc(s.Credentials, func(c providers.SecretValue) bool { return c.Name == "OCI_FINGERPRINT" })
	bare := providerOn(map[string]string{"OCI_REGION": "us-phoenix-1"}, vm.Config{OCIEndpoint: fo.URL, HTTPClient: fo.Client()})
	_, err := bare.Deploy(t.Context(), s, nil)
	if !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "OCI_FINGERPRINT") {
		t.Errorf("OCI without a fingerprint: %v", err)
	}
	if n := fo.API.Total(); n != 0 {
		t.Errorf("%d requests sent without a credential", n)
	}
	_, fa := newAliEnv(t)
	a := aliSpec(t, "nocred")
	a.Credentials = nil
	_, err = providerOn(map[string]string{}, vm.Config{ECSEndpoint: fa.URL, HTTPClient: fa.Client()}).Deploy(t.Context(), a, nil)
	if !errors.Is(err, providers.ErrAuth) || !strings.Contains(err.Error(), "ALICLOUD_ACCESS_KEY") {
		t.Errorf("Alibaba without an AccessKey: %v", err)
	}
	if n := fa.API.Total(); n != 0 {
		t.Errorf("%d requests sent without a credential", n)
	}
}

// A teardown with neither config nor an executor compartment finds the OCI instance in the
// compartment its handle records.
func TestOCITeardownFromHandleScope(t *testing.T) {
	t.Parallel()
	p, f := newOCIEnv(t, nil, func(env map[string]string) { delete(env, "OCI_COMPARTMENT_OCID") })
	s := ociSpec(t, "scope")
	d, err := p.Deploy(t.Context(), s, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := providers.ParseHandle(d.Handle)
	if err != nil || !strings.Contains(d.Handle, `"scope":"`+ociTest.compartment+`"`) {
		t.Fatalf("handle %s (%v) does not record the compartment", d.Handle, err)
	}
	bare := ociSpec(t, "scope")
	bare.Config, bare.Handle = nil, h
	if err := p.Destroy(t.Context(), bare); err != nil {
		t.Fatal(err)
	}
	if left := f.Instances(providers.LabelEnv, "scope"); len(left) != 0 {
		t.Errorf("left %v", left)
	}
	bare.Handle = nil
	if _, err := p.Status(t.Context(), bare); !errors.Is(err, providers.ErrInvalidSpec) || !strings.Contains(err.Error(), "OCI_COMPARTMENT_OCID") {
		t.Errorf("Status with no handle, config or compartment: %v, want a refusal naming OCI_COMPARTMENT_OCID", err)
	}
}

// Plan on OCI and Alibaba reads the cloud and decides as Deploy; it shows the launch's body
// and the cost from the catalogue (price and date), and makes nothing.
func TestPlanOCIAndAlicloud(t *testing.T) {
	t.Parallel()
	po, fo := newOCIEnv(t, nil)
	pa, fa := newAliEnv(t)
	for _, tc := range []struct {
		name      string
		p         *vm.Provider
		s         *providers.Spec
		image     string
		artifact  string
		wants     []string
		hourly    float64
		instances func(string) []string
	}{
		{"oci", po, ociSpec(t, "plan"), fo.Images()[0], "oci/launch-instance.json",
			[]string{`"shape": "VM.Standard2.1"`, `"subnetId": "ocid1.subnet.oc1..conformance"`, `"bootVolumeSizeInGBs": 80`, `"sindri.dev/env": "plan"`, "opc-retry-token"},
			0.0638 + (80*0.0425+80*0.0255)/730, func(env string) []string { return fo.Instances(providers.LabelEnv, env) }},
		{"alibaba", pa, aliSpec(t, "plan"), fa.Images()[0], "ecs/run-instances.txt",
			[]string{"InstanceType=ecs.g6.xlarge", "VSwitchId=vsw-bp1conformance", "SecurityGroupId=sg-bp1conformance01", "SystemDisk.Size=80", "Tag.", "ClientToken="},
			0.236 + (80*0.14+80*0.026)/730, func(env string) []string { return fa.Instances(providers.LabelEnv, env) }},
	} {
		plan, err := tc.p.Plan(t.Context(), tc.s)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(plan.Actions) != 2 || plan.Actions[0].Action != providers.ActionNone || !strings.Contains(plan.Actions[0].Description, tc.image) ||
			plan.Actions[1].Action != providers.ActionCreate {
			t.Errorf("%s: actions %+v, want: use %s, create the instance", tc.name, plan.Actions, tc.image)
		}
		for _, want := range append(tc.wants, tc.image) {
			if !strings.Contains(plan.Artifacts[tc.artifact], want) {
				t.Errorf("%s: %s lacks %q:\n%s", tc.name, tc.artifact, want, plan.Artifacts[tc.artifact])
			}
		}
		if c := plan.EstimatedCost; c == nil || c.Hourly == nil || math.Abs(*c.Hourly-tc.hourly) > 0.0001 || !strings.Contains(c.Notes, "2026-12-06") {
			t.Errorf("%s: estimate %+v, want hourly %.4f with the price date", tc.name, plan.EstimatedCost, tc.hourly)
		}
		if got := tc.instances("plan"); len(got) != 0 {
			t.Errorf("%s: Plan launched %v", tc.name, got)
		}
	}
}

// An instance that dies while it starts ends Deploy at once with ErrWorkloadFailed: on OCI
// it is TERMINATED while provisioning, on Alibaba Stopped while starting.
func TestDeployFailingInstanceFailsFastOCIAndAlicloud(t *testing.T) {
	t.Parallel()
	po, fo := newOCIEnv(t, nil)
	fo.FailLaunches(fo.Images()[0])
	pa, fa := newAliEnv(t)
	fa.FailLaunches(fa.Images()[0])
	for name, run := range map[string]func() error{
		"oci":     func() error { _, err := po.Deploy(t.Context(), ociSpec(t, "dies"), nil); return err },
		"alibaba": func() error { _, err := pa.Deploy(t.Context(), aliSpec(t, "dies"), nil); return err },
	} {
		// A wait that ran into the boot timeout would end with the context's error instead.
		if err := run(); !errors.Is(err, providers.ErrWorkloadFailed) {
			t.Errorf("%s: Deploy of a dying instance: %v, want ErrWorkloadFailed", name, err)
		}
	}
}

// An ECS instance gets the env's cloud-init as user data, with no credential in it, its tags,
// the config's vSwitch and security group, and a public address for ssh.
func TestDeployAlicloudLaunch(t *testing.T) {
	t.Parallel()
	p, f := newAliEnv(t)
	d, err := p.Deploy(t.Context(), aliSpec(t, "launch"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := f.Instances(providers.LabelEnv, "launch")
	if len(ids) != 1 {
		t.Fatalf("instances %v, want one", ids)
	}
	ud := f.UserData(ids[0])
	if !strings.Contains(ud, "SINDRI_ENV=launch") {
		t.Errorf("user data %q", ud)
	}
	for _, c := range aliCreds() {
		if strings.Contains(ud, c) {
			t.Errorf("user data holds a credential")
		}
	}
	if !strings.HasPrefix(d.Connection.SSHCommand, "ssh ubuntu@47.96.") || !strings.Contains(d.Connection.Instructions, "key_pair_name") {
		t.Errorf("connection %+v", d.Connection)
	}
	var run string
	for _, e := range f.API.Requests() {
		if strings.Contains(e.Body, "Action=RunInstances") {
			run = e.Body
		}
	}
	for _, want := range []string{"VSwitchId=vsw-bp1conformance", "SecurityGroupId=sg-bp1conformance01", "InternetMaxBandwidthOut=10", "ClientToken="} {
		if !strings.Contains(run, want) {
			t.Errorf("RunInstances lacks %s: %s", want, run)
		}
	}
}
