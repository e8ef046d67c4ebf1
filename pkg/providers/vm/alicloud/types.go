package alicloud

import (
	"maps"
	"slices"
	"time"
)

// Instance statuses (DescribeInstances Status). A deleted instance is no longer listed.
const (
	StatusPending  = "Pending"
	StatusStarting = "Starting"
	StatusRunning  = "Running"
	StatusStopping = "Stopping"
	StatusStopped  = "Stopped"
)

// Stopped modes of StopInstance: StopCharging releases the vCPUs and memory (billing for them
// stops; the instance may not get them back at once), KeepCharging keeps them.
const (
	StopCharging = "StopCharging"
	KeepCharging = "KeepCharging"
)

// Image statuses.
const (
	ImageAvailable = "Available"
	ImageCreating  = "Creating"
)

// Tag is an ECS tag as DescribeInstances and DescribeImages answer it.
type Tag struct {
	Key   string `json:"TagKey"`
	Value string `json:"TagValue"`
}

// Tags is the {"Tag": [...]} wrapper ECS answers.
type Tags struct {
	Tag []Tag `json:"Tag"`
}

// Map returns the tags as a map.
func (t Tags) Map() map[string]string {
	m := make(map[string]string, len(t.Tag))
	for _, tg := range t.Tag {
		m[tg.Key] = tg.Value
	}
	return m
}

// TagsOf returns m as Tags sorted by key.
func TagsOf(m map[string]string) Tags {
	var t Tags
	for _, k := range slices.Sorted(maps.Keys(m)) {
		t.Tag = append(t.Tag, Tag{Key: k, Value: m[k]})
	}
	return t
}

// IPs is the {"IpAddress": [...]} wrapper.
type IPs struct {
	IPAddress []string `json:"IpAddress"`
}

// Instance is one DescribeInstances item (the fields sindri reads).
type Instance struct {
	ID           string `json:"InstanceId"`
	Name         string `json:"InstanceName"`
	ImageID      string `json:"ImageId"`
	Type         string `json:"InstanceType"`
	Status       string `json:"Status"`
	RegionID     string `json:"RegionId"`
	ZoneID       string `json:"ZoneId"`
	CreationTime string `json:"CreationTime"`
	StoppedMode  string `json:"StoppedMode,omitempty"`
	PublicIP     IPs    `json:"PublicIpAddress"`
	EIP          struct {
		IPAddress string `json:"IpAddress"`
	} `json:"EipAddress"`
	VPC struct {
		PrivateIP IPs    `json:"PrivateIpAddress"`
		VSwitchID string `json:"VSwitchId"`
		VPCID     string `json:"VpcId"`
	} `json:"VpcAttributes"`
	KeyPairName string `json:"KeyPairName,omitempty"`
	Tags        Tags   `json:"Tags"`
}

// Created parses CreationTime ("2026-12-06T03:04Z" or with seconds); zero when it does not.
func (in Instance) Created() time.Time { return parseTime(in.CreationTime) }

// PublicAddress is the instance's public IP (its EIP when it has one), or "".
func (in Instance) PublicAddress() string {
	if in.EIP.IPAddress != "" {
		return in.EIP.IPAddress
	}
	if len(in.PublicIP.IPAddress) > 0 {
		return in.PublicIP.IPAddress[0]
	}
	return ""
}

// PrivateAddress is the instance's first VPC private IP, or "".
func (in Instance) PrivateAddress() string {
	if len(in.VPC.PrivateIP.IPAddress) > 0 {
		return in.VPC.PrivateIP.IPAddress[0]
	}
	return ""
}

// DiskDeviceMapping is one disk of an image, with the snapshot it is made from.
type DiskDeviceMapping struct {
	SnapshotID string `json:"SnapshotId"`
	Size       string `json:"Size"`
	Device     string `json:"Device"`
}

// Image is one DescribeImages item.
type Image struct {
	ID           string `json:"ImageId"`
	Name         string `json:"ImageName"`
	Status       string `json:"Status"`
	CreationTime string `json:"CreationTime"`
	OwnerAlias   string `json:"ImageOwnerAlias"`
	Size         int    `json:"Size"`
	Disks        struct {
		Mapping []DiskDeviceMapping `json:"DiskDeviceMapping"`
	} `json:"DiskDeviceMappings"`
	Tags Tags `json:"Tags"`
}

// Created parses CreationTime; zero when it does not.
func (im Image) Created() time.Time { return parseTime(im.CreationTime) }

func parseTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
