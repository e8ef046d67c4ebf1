package azure

import (
	"strings"
	"time"
)

// VM is a Microsoft.Compute virtual machine (the fields this client uses and sends).
type VM struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties VMProperties      `json:"properties"`
}

// VMProperties are a VM's properties.
type VMProperties struct {
	VMID              string          `json:"vmId,omitempty"`
	ProvisioningState string          `json:"provisioningState,omitempty"`
	TimeCreated       string          `json:"timeCreated,omitempty"`
	HardwareProfile   HardwareProfile `json:"hardwareProfile"`
	StorageProfile    StorageProfile  `json:"storageProfile"`
	OSProfile         *OSProfile      `json:"osProfile,omitempty"`
	NetworkProfile    NetworkProfile  `json:"networkProfile"`
	InstanceView      *InstanceView   `json:"instanceView,omitempty"`
}

// HardwareProfile holds the VM size.
type HardwareProfile struct {
	VMSize string `json:"vmSize"`
}

// StorageProfile is the image and OS disk.
type StorageProfile struct {
	ImageReference *ImageReference `json:"imageReference,omitempty"`
	OSDisk         OSDisk          `json:"osDisk"`
}

// ImageReference names a managed image by id.
type ImageReference struct {
	ID string `json:"id"`
}

// OSDisk is the VM's OS disk, made from the image and deleted with the VM (DeleteOption).
type OSDisk struct {
	Name         string       `json:"name,omitempty"`
	CreateOption string       `json:"createOption"`
	DeleteOption string       `json:"deleteOption,omitempty"`
	DiskSizeGB   int          `json:"diskSizeGB,omitempty"`
	ManagedDisk  *ManagedDisk `json:"managedDisk,omitempty"`
}

// ManagedDisk is the OS disk's storage type.
type ManagedDisk struct {
	StorageAccountType string `json:"storageAccountType,omitempty"`
}

// OSProfile is the guest's name, admin login and cloud-init custom data (base64).
type OSProfile struct {
	ComputerName       string              `json:"computerName"`
	AdminUsername      string              `json:"adminUsername"`
	CustomData         string              `json:"customData,omitempty"`
	LinuxConfiguration *LinuxConfiguration `json:"linuxConfiguration,omitempty"`
}

// LinuxConfiguration allows SSH keys only.
type LinuxConfiguration struct {
	DisablePasswordAuthentication bool `json:"disablePasswordAuthentication"`
	SSH                           struct {
		PublicKeys []SSHPublicKey `json:"publicKeys"`
	} `json:"ssh"`
}

// SSHPublicKey is an authorized key of the admin user.
type SSHPublicKey struct {
	Path    string `json:"path"`
	KeyData string `json:"keyData"`
}

// NetworkProfile attaches network interfaces.
type NetworkProfile struct {
	NetworkInterfaces []NICReference `json:"networkInterfaces"`
}

// NICReference is an attached interface; DeleteOption "Delete" removes it with the VM.
type NICReference struct {
	ID         string `json:"id"`
	Properties struct {
		Primary      bool   `json:"primary"`
		DeleteOption string `json:"deleteOption,omitempty"`
	} `json:"properties"`
}

// InstanceView holds the VM's statuses: ProvisioningState/* and PowerState/*.
type InstanceView struct {
	Statuses []Status `json:"statuses"`
}

// Status is one instance view status.
type Status struct {
	Code          string `json:"code"`
	Level         string `json:"level,omitempty"`
	DisplayStatus string `json:"displayStatus,omitempty"`
	Message       string `json:"message,omitempty"`
	Time          string `json:"time,omitempty"`
}

// Power returns the instance view's PowerState ("running", "deallocated", ...; "" none).
func (vm VM) Power() string { return vm.status("PowerState/") }

// Provisioning returns the provisioning state: the instance view's, else the property's,
// lower-cased ("creating", "succeeded", "failed", "deleting").
func (vm VM) Provisioning() string {
	if s := vm.status("ProvisioningState/"); s != "" {
		return s
	}
	return strings.ToLower(vm.Properties.ProvisioningState)
}

// Message is the first status message of the instance view (why it failed), or "".
func (vm VM) Message() string {
	if iv := vm.Properties.InstanceView; iv != nil {
		for _, s := range iv.Statuses {
			if s.Message != "" {
				return s.Message
			}
		}
	}
	return ""
}

func (vm VM) status(prefix string) string {
	if iv := vm.Properties.InstanceView; iv != nil {
		for _, s := range iv.Statuses {
			if v, ok := strings.CutPrefix(s.Code, prefix); ok {
				return v
			}
		}
	}
	return ""
}

// Created parses TimeCreated; zero when absent.
func (vm VM) Created() time.Time {
	t, _ := time.Parse(time.RFC3339, vm.Properties.TimeCreated)
	return t
}

// NIC is a Microsoft.Network network interface.
type NIC struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties struct {
		ProvisioningState string     `json:"provisioningState,omitempty"`
		IPConfigurations  []IPConfig `json:"ipConfigurations"`
	} `json:"properties"`
}

// IPConfig is a NIC's IP configuration.
type IPConfig struct {
	Name       string `json:"name"`
	Properties struct {
		Subnet                    *SubResource `json:"subnet,omitempty"`
		PrivateIPAllocationMethod string       `json:"privateIPAllocationMethod,omitempty"`
		PrivateIPAddress          string       `json:"privateIPAddress,omitempty"`
		PublicIPAddress           *SubResource `json:"publicIPAddress,omitempty"`
	} `json:"properties"`
}

// SubResource is a reference by id.
type SubResource struct {
	ID string `json:"id"`
}

// PublicIP is a Microsoft.Network public IP address (Standard SKU, static).
type PublicIP struct {
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	SKU        *SKU              `json:"sku,omitempty"`
	Properties struct {
		ProvisioningState        string `json:"provisioningState,omitempty"`
		PublicIPAllocationMethod string `json:"publicIPAllocationMethod,omitempty"`
		PublicIPAddressVersion   string `json:"publicIPAddressVersion,omitempty"`
		IPAddress                string `json:"ipAddress,omitempty"`
	} `json:"properties"`
}

// SKU names a resource's SKU ("Standard").
type SKU struct {
	Name string `json:"name"`
}

// Image is a Microsoft.Compute managed image.
type Image struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties struct {
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
	SystemData *struct {
		CreatedAt string `json:"createdAt"`
	} `json:"systemData,omitempty"`
}

// Created is the image's systemData.createdAt; zero when absent.
func (im Image) Created() time.Time {
	if im.SystemData == nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, im.SystemData.CreatedAt)
	return t
}
