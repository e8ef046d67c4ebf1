package oci

import "time"

// Instance lifecycle states (Instance.lifecycleState).
const (
	StateProvisioning = "PROVISIONING"
	StateStarting     = "STARTING"
	StateRunning      = "RUNNING"
	StateStopping     = "STOPPING"
	StateStopped      = "STOPPED"
	StateTerminating  = "TERMINATING"
	StateTerminated   = "TERMINATED"
)

// Instance actions (POST /instances/{id}?action=).
const (
	ActionStart    = "START"
	ActionStop     = "STOP"
	ActionSoftStop = "SOFTSTOP"
)

// Image lifecycle states.
const (
	ImageProvisioning = "PROVISIONING"
	ImageAvailable    = "AVAILABLE"
	ImageDeleted      = "DELETED"
)

// ShapeConfig sizes a Flex shape.
type ShapeConfig struct {
	OCPUs       float64 `json:"ocpus,omitempty"`
	MemoryInGBs float64 `json:"memoryInGBs,omitempty"`
}

// SourceDetails is what an instance boots from: an image, with its boot volume's size.
type SourceDetails struct {
	SourceType          string `json:"sourceType"`
	ImageID             string `json:"imageId,omitempty"`
	BootVolumeSizeInGBs int    `json:"bootVolumeSizeInGBs,omitempty"`
}

// CreateVnicDetails is the primary VNIC of a launch.
type CreateVnicDetails struct {
	SubnetID       string `json:"subnetId"`
	AssignPublicIP *bool  `json:"assignPublicIp,omitempty"`
}

// LaunchDetails is LaunchInstanceDetails, the fields sindri sends.
type LaunchDetails struct {
	AvailabilityDomain string             `json:"availabilityDomain"`
	CompartmentID      string             `json:"compartmentId"`
	Shape              string             `json:"shape"`
	ShapeConfig        *ShapeConfig       `json:"shapeConfig,omitempty"`
	SourceDetails      SourceDetails      `json:"sourceDetails"`
	CreateVnicDetails  *CreateVnicDetails `json:"createVnicDetails,omitempty"`
	DisplayName        string             `json:"displayName,omitempty"`
	FreeformTags       map[string]string  `json:"freeformTags,omitempty"`
	// Metadata holds user_data (base64 cloud-init) and ssh_authorized_keys.
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Instance is a Core Services Instance.
type Instance struct {
	ID                 string            `json:"id"`
	AvailabilityDomain string            `json:"availabilityDomain"`
	CompartmentID      string            `json:"compartmentId"`
	DisplayName        string            `json:"displayName"`
	FaultDomain        string            `json:"faultDomain,omitempty"`
	ImageID            string            `json:"imageId,omitempty"`
	LifecycleState     string            `json:"lifecycleState"`
	Region             string            `json:"region"`
	Shape              string            `json:"shape"`
	ShapeConfig        *ShapeConfig      `json:"shapeConfig,omitempty"`
	SourceDetails      *SourceDetails    `json:"sourceDetails,omitempty"`
	FreeformTags       map[string]string `json:"freeformTags,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
	TimeCreated        time.Time         `json:"timeCreated"`
}

// Image is a Core Services Image.
type Image struct {
	ID                     string            `json:"id"`
	CompartmentID          string            `json:"compartmentId"`
	DisplayName            string            `json:"displayName"`
	LifecycleState         string            `json:"lifecycleState"`
	OperatingSystem        string            `json:"operatingSystem,omitempty"`
	OperatingSystemVersion string            `json:"operatingSystemVersion,omitempty"`
	BaseImageID            string            `json:"baseImageId,omitempty"`
	SizeInMBs              int64             `json:"sizeInMBs,omitempty"`
	FreeformTags           map[string]string `json:"freeformTags,omitempty"`
	TimeCreated            time.Time         `json:"timeCreated"`
}

// VnicAttachment links an instance to a VNIC.
type VnicAttachment struct {
	ID             string `json:"id"`
	InstanceID     string `json:"instanceId"`
	VnicID         string `json:"vnicId,omitempty"`
	LifecycleState string `json:"lifecycleState"`
}

// Vnic is a virtual NIC: the instance's addresses.
type Vnic struct {
	ID        string `json:"id"`
	PrivateIP string `json:"privateIp,omitempty"`
	PublicIP  string `json:"publicIp,omitempty"`
	IsPrimary bool   `json:"isPrimary"`
}
