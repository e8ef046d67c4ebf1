package azure_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/rest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/azure"
	"github.com/sindri/deploy/v3/pkg/providers/vm/azure/azuretest"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudtest"
)

func newClient(t *testing.T, f *azuretest.Fake, secret string, rec *rest.Recorder) *azure.Client {
	t.Helper()
	o := f.Options()
	c, err := azure.New(azure.Config{Subscription: o.Subscription, ResourceGroup: o.ResourceGroup, TenantID: o.Tenant,
		ClientID: o.ClientID, ClientSecret: secret, Endpoint: f.URL, LoginEndpoint: f.URL,
		Options: cloudtest.Options(f.Client(), rec)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// vmBody is a VM of image on NIC nic.
func vmBody(f *azuretest.Fake, c *azure.Client, image, nic string) azure.VM {
	v := azure.VM{Location: f.Options().Location, Tags: map[string]string{"sindri.dev_env": "pr-1"}}
	v.Properties.HardwareProfile.VMSize = "Standard_D2s_v5"
	v.Properties.StorageProfile = azure.StorageProfile{ImageReference: &azure.ImageReference{ID: image},
		OSDisk: azure.OSDisk{CreateOption: "FromImage", DeleteOption: "Delete"}}
	linux := &azure.LinuxConfiguration{DisablePasswordAuthentication: true}
	linux.SSH.PublicKeys = []azure.SSHPublicKey{{Path: "/home/ubuntu/.ssh/authorized_keys", KeyData: "ssh-ed25519 AAAA test"}}
	v.Properties.OSProfile = &azure.OSProfile{ComputerName: "vm-a", AdminUsername: "ubuntu", LinuxConfiguration: linux}
	ref := azure.NICReference{ID: c.ResourceID("Microsoft.Network/networkInterfaces", nic)}
	ref.Properties.Primary, ref.Properties.DeleteOption = true, "Delete"
	v.Properties.NetworkProfile.NetworkInterfaces = []azure.NICReference{ref}
	return v
}

func nicBody(f *azuretest.Fake) azure.NIC {
	n := azure.NIC{Location: f.Options().Location, Tags: map[string]string{"sindri.dev_env": "pr-1"}}
	ipc := azure.IPConfig{Name: "ipconfig1"}
	ipc.Properties.Subnet = &azure.SubResource{ID: f.SubnetID()}
	ipc.Properties.PrivateIPAllocationMethod = "Dynamic"
	n.Properties.IPConfigurations = []azure.IPConfig{ipc}
	return n
}

// The VM lifecycle through the client, each change followed through its
// Azure-AsyncOperation: NIC and VM created (running), deallocated, started, deleted with its
// disk and NIC; the client secret never appears in a recording.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	f := azuretest.New(t, azuretest.Options{Transition: 5 * time.Millisecond})
	img := f.AddImage("img-1", nil, time.Now())
	rec := &rest.Recorder{}
	c := newClient(t, f, f.Options().ClientSecret, rec)
	ctx := t.Context()
	nic, err := c.PutNIC(ctx, "vm-a-nic", nicBody(f))
	if err != nil || nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress == "" {
		t.Fatalf("PutNIC = %+v, %v", nic, err)
	}
	if err := c.PutVM(ctx, "vm-a", vmBody(f, c, img, "vm-a-nic")); err != nil {
		t.Fatal(err)
	}
	power := func() string {
		v, err := c.GetVM(ctx, "vm-a")
		if err != nil {
			t.Fatal(err)
		}
		return v.Power()
	}
	if p := power(); p != "running" {
		t.Errorf("after create: %s", p)
	}
	if err := c.DeallocateVM(ctx, "vm-a"); err != nil || power() != "deallocated" {
		t.Fatalf("deallocate: %v, %s", err, power())
	}
	if err := c.StartVM(ctx, "vm-a"); err != nil || power() != "running" {
		t.Fatalf("start: %v, %s", err, power())
	}
	vms, err := c.ListVMs(ctx)
	if err != nil || len(vms) != 1 || vms[0].Power() != "running" {
		t.Fatalf("list = %+v, %v", vms, err)
	}
	for range 2 {
		if err := c.DeleteVM(ctx, "vm-a"); err != nil {
			t.Fatal(err)
		}
	}
	if left := f.Resources("sindri.dev_env", "pr-1"); len(left) != 0 {
		t.Errorf("left after delete: %v", left)
	}
	for _, l := range rec.Lines() {
		if strings.Contains(l, f.Options().ClientSecret) {
			t.Errorf("recorded the secret: %s", l)
		}
	}
}

// A wrong client secret is ErrAuth and never echoed.
func TestWrongSecretRefused(t *testing.T) {
	t.Parallel()
	f := azuretest.New(t, azuretest.Options{})
	c := newClient(t, f, "wrong-secret-value-123", nil)
	_, err := c.ListVMs(t.Context())
	if !errors.Is(err, providers.ErrAuth) || strings.Contains(err.Error(), "wrong-secret-value-123") {
		t.Fatalf("list with a wrong secret = %v, want ErrAuth", err)
	}
}

// A VM whose provisioning fails ends PutVM with the operation's error (ErrWorkloadFailed);
// a missing image is ErrNotFound; a VM PUT whose answer is lost is resent and is one VM; a
// bad body is ErrInvalidSpec and a violation; a throttled read is retryable.
func TestErrors(t *testing.T) {
	t.Parallel()
	f := azuretest.New(t, azuretest.Options{Transition: 5 * time.Millisecond, API: []apifake.Option{apifake.CollectViolations()}})
	c := newClient(t, f, f.Options().ClientSecret, nil)
	ctx := t.Context()
	if _, err := c.PutNIC(ctx, "n1", nicBody(f)); err != nil {
		t.Fatal(err)
	}
	missing := c.ResourceID("Microsoft.Compute/images", "nope")
	if err := c.PutVM(ctx, "vm-x", vmBody(f, c, missing, "n1")); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("PutVM from a missing image = %v, want ErrNotFound", err)
	}
	bad := f.AddImage("bad", nil, time.Now())
	f.FailLaunches(bad, "OS Provisioning for VM 'vm-f' did not finish in the allotted time.")
	if err := c.PutVM(ctx, "vm-f", vmBody(f, c, bad, "n1")); !errors.Is(err, providers.ErrWorkloadFailed) || !strings.Contains(err.Error(), "OSProvisioningTimedOut") {
		t.Errorf("PutVM of a failing image = %v, want ErrWorkloadFailed", err)
	}
	good := f.AddImage("good", nil, time.Now())
	if _, err := c.PutNIC(ctx, "n2", nicBody(f)); err != nil {
		t.Fatal(err)
	}
	f.API.Add(apifake.Rule{Route: "PUT /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}", Nth: 1, Action: apifake.ApplyThenDrop()})
	if err := c.PutVM(ctx, "vm-g", vmBody(f, c, good, "n2")); err != nil {
		t.Fatalf("PutVM with its answer lost: %v", err)
	}
	noKey := vmBody(f, c, good, "n2")
	noKey.Properties.OSProfile.LinuxConfiguration.SSH.PublicKeys = nil
	if err := c.PutVM(ctx, "vm-h", noKey); !errors.Is(err, providers.ErrInvalidSpec) || len(f.API.Violations()) == 0 {
		t.Errorf("PutVM without a key = %v, want ErrInvalidSpec", err)
	}
	if _, err := c.GetVM(ctx, "nope"); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("get a missing VM = %v", err)
	}
	if err := c.DeleteImage(ctx, missing); err != nil {
		t.Errorf("delete a missing image = %v, want success", err)
	}
	var ae *providers.APIError
	f.API.Add(apifake.Rule{Route: "GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/images", Action: apifake.Respond(http.StatusTooManyRequests, nil)})
	if _, err := c.ListImages(ctx); !errors.As(err, &ae) || ae.Code != "TooManyRequests" || !providers.IsRetryable(err) {
		t.Errorf("throttled list = %v, want retryable TooManyRequests", err)
	}
}
