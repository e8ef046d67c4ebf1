package vm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/azure"
	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

func init() {
	connectors[config.CloudAzure] = azureConnect
	plans[config.CloudAzure] = azurePlan{}
}

// Variables (job credentials, else the executor's environment) that an Azure launch needs
// besides the service principal: the subnet the instance's NIC joins and the public key its
// admin user logs in with. Neither is secret; neither is given to packer.
const (
	azureSubnetVar = "AZURE_SUBNET_ID"
	azureSSHKeyVar = "AZURE_SSH_PUBLIC_KEY"
)

// azureDefaultGroup is the resource group when none is set (as the image builds use).
const azureDefaultGroup = "sindri-packer"

// azureSetting is the value of a setting: the config's, else the handle's scope part, else
// the variable's.
func (p *Provider) azureSetting(s *providers.Spec, fromConfig func(*config.PackerAzure) string, scopePart int, variable string) string {
	if s != nil && s.Config != nil && s.Config.Providers.Packer != nil && s.Config.Providers.Packer.Azure != nil {
		if v := fromConfig(s.Config.Providers.Packer.Azure); v != "" {
			return v
		}
	}
	if s != nil {
		if h := readHandle(s); h.Cloud == string(config.CloudAzure) {
			if parts := strings.SplitN(h.Scope, "/", 2); len(parts) == 2 && parts[scopePart] != "" {
				return parts[scopePart]
			}
		}
	}
	return p.credential(s, variable)
}

func azureConnect(p *Provider, s *providers.Spec, location string) (cloudAPI, error) {
	if err := p.requireCredentials(s, config.CloudAzure); err != nil {
		return nil, err
	}
	sub := p.azureSetting(s, func(a *config.PackerAzure) string { return a.SubscriptionID }, 0, "AZURE_SUBSCRIPTION_ID")
	if sub == "" {
		return nil, providers.MissingCredential(Name, "AZURE_SUBSCRIPTION_ID")
	}
	rg := p.azureSetting(s, func(a *config.PackerAzure) string { return a.ResourceGroup }, 1, "AZURE_RESOURCE_GROUP")
	if rg == "" {
		rg = azureDefaultGroup
	}
	c, err := azure.New(azure.Config{Subscription: sub, ResourceGroup: rg, TenantID: p.credential(s, "AZURE_TENANT_ID"),
		ClientID: p.credential(s, "AZURE_CLIENT_ID"), ClientSecret: p.credential(s, "AZURE_CLIENT_SECRET"),
		Endpoint: p.cfg.AzureEndpoint, LoginEndpoint: p.cfg.AzureLoginEndpoint, Options: p.restOptions()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return azureCloud{c: c, location: location, subnet: p.credential(s, azureSubnetVar), sshKey: p.credential(s, azureSSHKeyVar)}, nil
}

// azureCloud is cloudAPI on Azure Resource Manager. Instance ids are VM names; image ids
// are managed image resource ids (what packer reports).
type azureCloud struct {
	c              *azure.Client
	location       string
	subnet, sshKey string
}

func (a azureCloud) Region() string { return a.location }

// Scope is "subscription/resource-group" (scoped).
func (a azureCloud) Scope() string { return a.c.Scope() }

// azureKeys are the neutral tag keys read back from Azure tag names.
var azureKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range sindriTagKeys() {
		m[azureTagName(k)] = k
	}
	return m
}()

func azureTagName(k string) string { return azureTagKey.ReplaceAllString(strings.ToLower(k), "_") }

// azureTags are tags with Azure tag names.
func azureTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[azureTagName(k)] = v
	}
	return out
}

// neutralTags reads Azure tags back into neutral ones.
func neutralTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if n, ok := azureKeys[strings.ToLower(k)]; ok {
			k = n
		}
		out[k] = v
	}
	return out
}

func (a azureCloud) FindInstances(ctx context.Context, tags map[string]string) ([]Instance, error) {
	vms, err := a.c.ListVMs(ctx)
	if err != nil {
		return nil, err
	}
	want := azureTags(tags)
	var out []Instance
	for _, v := range vms {
		if !labelsHave(v.Tags, want) || v.Provisioning() == "deleted" {
			continue
		}
		in, err := a.instance(ctx, v)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

func (a azureCloud) Instance(ctx context.Context, id string) (*Instance, error) {
	v, err := a.c.GetVM(ctx, id)
	if err != nil {
		return nil, err
	}
	in, err := a.instance(ctx, *v)
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// instance is v in neutral terms, with its NIC's private and public addresses when it runs.
func (a azureCloud) instance(ctx context.Context, v azure.VM) (Instance, error) {
	power, prov := v.Power(), v.Provisioning()
	cloudState := "ProvisioningState/" + prov
	if power != "" {
		cloudState += " PowerState/" + power
	}
	in := Instance{ID: v.Name, Type: v.Properties.HardwareProfile.VMSize, State: azureState(prov, power), CloudState: cloudState,
		Reason: v.Message(), Launched: v.Created(), Tags: neutralTags(v.Tags),
		Login: "the private key of " + azureSSHKeyVar + " (port 22 must be allowed by the subnet's network security group)"}
	if ref := v.Properties.StorageProfile.ImageReference; ref != nil {
		in.ImageID = ref.ID
	}
	if in.State != instRunning {
		// Addresses matter (and a dynamic private address is held) only while it runs: a wait
		// reads the VM alone.
		return in, nil
	}
	for _, n := range v.Properties.NetworkProfile.NetworkInterfaces {
		nic, err := a.c.GetNIC(ctx, lastSegment(n.ID))
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return in, err
		}
		for _, ipc := range nic.Properties.IPConfigurations {
			if in.PrivateIP == "" {
				in.PrivateIP = ipc.Properties.PrivateIPAddress
			}
			if pip := ipc.Properties.PublicIPAddress; pip != nil && in.PublicIP == "" {
				ip, err := a.c.GetPublicIP(ctx, lastSegment(pip.ID))
				if err != nil && !isNotFound(err) {
					return in, err
				}
				if err == nil {
					in.PublicIP = ip.Properties.IPAddress
				}
			}
		}
	}
	return in, nil
}

// azureState normalises a VM's provisioning and power states. A VM whose provisioning
// failed is stopped (its reason in the instance view), so that a wait for running ends.
func azureState(prov, power string) string {
	switch {
	case prov == "deleting":
		return instTerminating
	case prov == "failed":
		return instStopped
	}
	switch power {
	case "running":
		return instRunning
	case "stopping", "deallocating":
		return instStopping
	case "stopped", "deallocated":
		return instStopped
	}
	return instPending // creating, starting, or no power state yet
}

// lastSegment is the name at the end of a resource id.
func lastSegment(id string) string { return id[strings.LastIndex(id, "/")+1:] }

// azureLaunch are the bodies of a launch: the public IP, the NIC and the VM, all named after
// the VM (<name>-ip, <name>-nic).
type azureLaunch struct {
	name string
	ip   azure.PublicIP
	nic  azure.NIC
	vm   azure.VM
}

// azureBodies are the bodies of a launch of in.
func azureBodies(c *azure.Client, location, subnet, sshKey string, in createInput) azureLaunch {
	name := instanceName(in.Name, in.Token)
	tags := azureTags(in.Tags)
	ip := azure.PublicIP{Location: location, Tags: tags, SKU: &azure.SKU{Name: "Standard"}}
	ip.Properties.PublicIPAllocationMethod, ip.Properties.PublicIPAddressVersion = "Static", "IPv4"
	var nic azure.NIC
	nic.Location, nic.Tags = location, tags
	ipc := azure.IPConfig{Name: "ipconfig1"}
	ipc.Properties.Subnet = &azure.SubResource{ID: subnet}
	ipc.Properties.PrivateIPAllocationMethod = "Dynamic"
	ipc.Properties.PublicIPAddress = &azure.SubResource{ID: c.ResourceID("Microsoft.Network/publicIPAddresses", name+"-ip")}
	nic.Properties.IPConfigurations = []azure.IPConfig{ipc}
	az := deref(in.Config.Azure)
	vm := azure.VM{Location: location, Tags: tags}
	vm.Properties.HardwareProfile.VMSize = in.Type
	vm.Properties.StorageProfile = azure.StorageProfile{ImageReference: &azure.ImageReference{ID: in.Image},
		OSDisk: azure.OSDisk{Name: name + "-osdisk", CreateOption: "FromImage", DeleteOption: "Delete", DiskSizeGB: in.VolumeGB}}
	if az.StorageAccountType != "" {
		vm.Properties.StorageProfile.OSDisk.ManagedDisk = &azure.ManagedDisk{StorageAccountType: az.StorageAccountType}
	}
	linux := &azure.LinuxConfiguration{DisablePasswordAuthentication: true}
	linux.SSH.PublicKeys = []azure.SSHPublicKey{{Path: "/home/" + sshUser + "/.ssh/authorized_keys", KeyData: sshKey}}
	vm.Properties.OSProfile = &azure.OSProfile{ComputerName: name, AdminUsername: sshUser,
		CustomData: base64.StdEncoding.EncodeToString([]byte(in.UserData)), LinuxConfiguration: linux}
	ref := azure.NICReference{ID: c.ResourceID("Microsoft.Network/networkInterfaces", name+"-nic")}
	ref.Properties.Primary, ref.Properties.DeleteOption = true, "Delete"
	vm.Properties.NetworkProfile.NetworkInterfaces = []azure.NICReference{ref}
	return azureLaunch{name: name, ip: ip, nic: nic, vm: vm}
}

func (a azureCloud) Create(ctx context.Context, in createInput) (*Instance, error) {
	if a.subnet == "" {
		return nil, fmt.Errorf("%w (the resource id of the subnet the instance joins)", providers.MissingCredential(Name, azureSubnetVar))
	}
	if a.sshKey == "" {
		return nil, fmt.Errorf("%w (the OpenSSH public key the instance's %s user logs in with)", providers.MissingCredential(Name, azureSSHKeyVar), sshUser)
	}
	l := azureBodies(a.c, a.location, a.subnet, a.sshKey, in)
	if _, err := a.c.PutPublicIP(ctx, l.name+"-ip", l.ip); err != nil {
		return nil, err
	}
	if _, err := a.c.PutNIC(ctx, l.name+"-nic", l.nic); err != nil {
		return nil, err
	}
	if err := a.c.PutVM(ctx, l.name, l.vm); err != nil {
		return nil, err
	}
	return a.Instance(ctx, l.name)
}

func (a azureCloud) SetTags(ctx context.Context, id string, tags map[string]string) error {
	v, err := a.c.GetVM(ctx, id)
	if err != nil {
		return err
	}
	merged := maps.Clone(v.Tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, azureTags(tags))
	return a.c.TagVM(ctx, id, merged)
}

// Stop deallocates: the compute is released and no longer billed (a powered-off VM is).
func (a azureCloud) Stop(ctx context.Context, id string) error  { return a.c.DeallocateVM(ctx, id) }
func (a azureCloud) Start(ctx context.Context, id string) error { return a.c.StartVM(ctx, id) }

// Terminate deletes each VM (its OS disk and NIC go with it: deleteOption Delete), then its
// NIC by name, in case the VM never took it, and its public IP.
func (a azureCloud) Terminate(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if err := a.c.DeleteVM(ctx, id); err != nil {
			return err
		}
		if err := a.c.DeleteNIC(ctx, id+"-nic"); err != nil {
			return err
		}
		if err := a.c.DeletePublicIP(ctx, id+"-ip"); err != nil {
			return err
		}
	}
	return nil
}

// Sweep deletes the NICs of env that no VM uses and the public IPs of env that no NIC uses (a
// launch stopped before its VM), so that Destroy leaves nothing (sweeper).
func (a azureCloud) Sweep(ctx context.Context, env string) error {
	vms, err := a.c.ListVMs(ctx)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, v := range vms {
		for _, n := range v.Properties.NetworkProfile.NetworkInterfaces {
			used[strings.ToLower(lastSegment(n.ID))] = true
		}
	}
	nics, err := a.c.ListNICs(ctx)
	if err != nil {
		return err
	}
	want := azureTags(envTags(env))
	usedIPs := map[string]bool{}
	for _, n := range nics {
		if labelsHave(n.Tags, want) && !used[strings.ToLower(n.Name)] {
			if err := a.c.DeleteNIC(ctx, n.Name); err != nil {
				return err
			}
			continue
		}
		for _, ipc := range n.Properties.IPConfigurations {
			if pip := ipc.Properties.PublicIPAddress; pip != nil {
				usedIPs[strings.ToLower(lastSegment(pip.ID))] = true
			}
		}
	}
	ips, err := a.c.ListPublicIPs(ctx)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if labelsHave(ip.Tags, want) && !usedIPs[strings.ToLower(ip.Name)] {
			if err := a.c.DeletePublicIP(ctx, ip.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a azureCloud) FindImages(ctx context.Context, q imageQuery) ([]Image, error) {
	var found []azure.Image
	if len(q.IDs) > 0 {
		for _, id := range q.IDs {
			im, err := a.c.GetImage(ctx, id)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			found = append(found, *im)
		}
	} else {
		var err error
		if found, err = a.c.ListImages(ctx); err != nil {
			return nil, err
		}
	}
	want := azureTags(q.Tags)
	var out []Image
	for _, im := range found {
		ok := im.Properties.ProvisioningState == "Succeeded"
		if !labelsHave(lowerKeys(im.Tags), want) || q.Available && !ok {
			continue
		}
		img := Image{ID: im.ID, Name: im.Name, Created: im.Created(), Available: ok, Tags: neutralTags(im.Tags)}
		if im.SystemData != nil {
			img.CreatedText = im.SystemData.CreatedAt
		}
		out = append(out, img)
	}
	return out, nil
}

// lowerKeys lower-cases m's keys (Azure tag names are case-insensitive).
func lowerKeys(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

func (a azureCloud) DeleteImage(ctx context.Context, im Image) error {
	if err := a.c.DeleteImage(ctx, im.ID); err != nil {
		return fmt.Errorf("delete image %s: %w", im.Name, err)
	}
	return nil
}

// azurePlan is cloudPlan on Azure.
type azurePlan struct{}

func (azurePlan) API() string      { return "Azure Resource Manager" }
func (azurePlan) Resource() string { return "azurerm_linux_virtual_machine" }

func (azurePlan) Call(op string, d *desired, arg string) string {
	switch op {
	case opFindImage:
		return fmt.Sprintf("ARM GET Microsoft.Compute/images (resource group), tags %v, provisioningState Succeeded", azureTags(ImageTags(d.pc)))
	case opFindInstances:
		return fmt.Sprintf("ARM GET Microsoft.Compute/virtualMachines?$expand=instanceView (resource group), tags %v", azureTags(envTags(arg)))
	case opCreate:
		return fmt.Sprintf("ARM PUT Microsoft.Network/publicIPAddresses/<name>-ip, networkInterfaces/<name>-nic, then Microsoft.Compute/virtualMachines/<name> (image %s, %s in %s; see azure/vm.json), each followed to Succeeded", arg, d.instanceType, d.region)
	case opStart:
		return fmt.Sprintf("ARM POST Microsoft.Compute/virtualMachines/%s/start, followed to Succeeded", arg)
	case opSetTags:
		return fmt.Sprintf("ARM PATCH Microsoft.Compute/virtualMachines/%s tags", arg)
	}
	return "ARM GET Microsoft.Compute/virtualMachines/<name>?$expand=instanceView (until PowerState/running)"
}

func (azurePlan) Launch(in createInput) map[string]string {
	az := deref(in.Config.Azure)
	sub, rg := az.SubscriptionID, az.ResourceGroup
	if sub == "" {
		sub = "<AZURE_SUBSCRIPTION_ID>"
	}
	if rg == "" {
		rg = "<AZURE_RESOURCE_GROUP, else " + azureDefaultGroup + ">"
	}
	c, _ := azure.New(azure.Config{Subscription: sub, ResourceGroup: rg, TenantID: "-", ClientID: "-", ClientSecret: "-", Options: cloudrest.Options{Provider: Name}})
	l := azureBodies(c, region(in.Config), "<"+azureSubnetVar+">", "<"+azureSSHKeyVar+">", in)
	l.vm.Properties.OSProfile.CustomData = "<base64 of azure/custom-data.yaml>"
	put := func(path, version string, body any) string {
		b, _ := json.MarshalIndent(body, "", "  ")
		return "# PUT " + azure.DefaultEndpoint + "subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + path +
			"?api-version=" + version + "\n" + string(b) + "\n"
	}
	return map[string]string{
		"azure/public-ip.json":   put("Microsoft.Network/publicIPAddresses/<name>-ip", azure.NetworkAPIVersion, l.ip),
		"azure/nic.json":         put("Microsoft.Network/networkInterfaces/<name>-nic", azure.NetworkAPIVersion, l.nic),
		"azure/vm.json":          put("Microsoft.Compute/virtualMachines/<name>", azure.ComputeAPIVersion, l.vm),
		"azure/custom-data.yaml": in.UserData}
}
