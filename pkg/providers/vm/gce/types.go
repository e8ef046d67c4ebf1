package gce

import "time"

// Instance statuses.
const (
	StatusProvisioning = "PROVISIONING"
	StatusStaging      = "STAGING"
	StatusRunning      = "RUNNING"
	StatusStopping     = "STOPPING"
	StatusStopped      = "STOPPED"
	StatusSuspending   = "SUSPENDING"
	StatusSuspended    = "SUSPENDED"
	StatusRepairing    = "REPAIRING"
	// StatusTerminated is a stopped instance (its disk stays); a deleted one is gone.
	StatusTerminated = "TERMINATED"
)

// Instance is a Compute Engine instance (the fields this client uses and sends).
type Instance struct {
	ID                string             `json:"id,omitempty"`
	Name              string             `json:"name"`
	MachineType       string             `json:"machineType"`
	Status            string             `json:"status,omitempty"`
	StatusMessage     string             `json:"statusMessage,omitempty"`
	CreationTimestamp string             `json:"creationTimestamp,omitempty"`
	Labels            map[string]string  `json:"labels,omitempty"`
	LabelFingerprint  string             `json:"labelFingerprint,omitempty"`
	Metadata          *Metadata          `json:"metadata,omitempty"`
	Disks             []AttachedDisk     `json:"disks,omitempty"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
	SelfLink          string             `json:"selfLink,omitempty"`
	Zone              string             `json:"zone,omitempty"`
}

// Created parses CreationTimestamp; zero when it does not parse.
func (in Instance) Created() time.Time {
	t, _ := time.Parse(time.RFC3339, in.CreationTimestamp)
	return t
}

// Meta returns metadata item key's value ("" when absent).
func (in Instance) Meta(key string) string {
	if in.Metadata == nil {
		return ""
	}
	for _, it := range in.Metadata.Items {
		if it.Key == key {
			return it.Value
		}
	}
	return ""
}

// Metadata is an instance's metadata.
type Metadata struct {
	Fingerprint string         `json:"fingerprint,omitempty"`
	Items       []MetadataItem `json:"items,omitempty"`
}

// MetadataItem is one metadata key and value.
type MetadataItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// AttachedDisk is a disk of an instance; InitializeParams only on insert.
type AttachedDisk struct {
	Boot             bool      `json:"boot,omitempty"`
	AutoDelete       bool      `json:"autoDelete,omitempty"`
	Source           string    `json:"source,omitempty"`
	InitializeParams *DiskInit `json:"initializeParams,omitempty"`
}

// DiskInit makes a new disk for an instance.
type DiskInit struct {
	SourceImage string            `json:"sourceImage"`
	DiskSizeGB  string            `json:"diskSizeGb,omitempty"`
	DiskType    string            `json:"diskType,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// NetworkInterface is an instance's network interface.
type NetworkInterface struct {
	Network       string         `json:"network,omitempty"`
	Subnetwork    string         `json:"subnetwork,omitempty"`
	NetworkIP     string         `json:"networkIP,omitempty"`
	AccessConfigs []AccessConfig `json:"accessConfigs,omitempty"`
}

// AccessConfig gives an interface an external address (ONE_TO_ONE_NAT).
type AccessConfig struct {
	Type  string `json:"type"`
	Name  string `json:"name,omitempty"`
	NatIP string `json:"natIP,omitempty"`
}

// Image statuses.
const (
	ImagePending  = "PENDING"
	ImageReady    = "READY"
	ImageFailed   = "FAILED"
	ImageDeleting = "DELETING"
)

// Image is a Compute Engine image.
type Image struct {
	ID                string            `json:"id,omitempty"`
	Name              string            `json:"name"`
	Status            string            `json:"status"`
	CreationTimestamp string            `json:"creationTimestamp,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	DiskSizeGB        string            `json:"diskSizeGb,omitempty"`
	Family            string            `json:"family,omitempty"`
	SelfLink          string            `json:"selfLink,omitempty"`
}

// Created parses CreationTimestamp; zero when it does not parse.
func (im Image) Created() time.Time {
	t, _ := time.Parse(time.RFC3339, im.CreationTimestamp)
	return t
}
