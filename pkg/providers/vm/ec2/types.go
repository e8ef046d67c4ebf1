package ec2

import (
	"maps"
	"slices"
	"time"
)

// Tag is an EC2 tag.
type Tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// TagList returns m as tags sorted by key.
func TagList(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Tag{Key: k, Value: m[k]})
	}
	return out
}

// TagMap returns tags as a map.
func TagMap(tags []Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// Instance states, EC2's instanceState names.
const (
	StatePending      = "pending"
	StateRunning      = "running"
	StateStopping     = "stopping"
	StateStopped      = "stopped"
	StateShuttingDown = "shutting-down"
	StateTerminated   = "terminated"
)

// InstanceState is an instance's state code and name (pending 0, running 16, shutting-down
// 32, terminated 48, stopping 64, stopped 80).
type InstanceState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

// StateReason says why an instance changed state ("Server.InternalError",
// "Client.UserInitiatedShutdown").
type StateReason struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

// Instance is an instancesSet item.
type Instance struct {
	ID          string        `xml:"instanceId"`
	ImageID     string        `xml:"imageId"`
	State       InstanceState `xml:"instanceState"`
	Type        string        `xml:"instanceType"`
	LaunchTime  time.Time     `xml:"launchTime"`
	PrivateIP   string        `xml:"privateIpAddress"`
	PublicIP    string        `xml:"ipAddress"`
	PublicDNS   string        `xml:"dnsName"`
	KeyName     string        `xml:"keyName"`
	Reason      string        `xml:"reason"`
	StateReason *StateReason  `xml:"stateReason"`
	Zone        string        `xml:"placement>availabilityZone"`
	Tags        []Tag         `xml:"tagSet>item"`
	ClientToken string        `xml:"clientToken"`
}

// StateChange is one item of a Stop, Start or TerminateInstances answer.
type StateChange struct {
	ID       string        `xml:"instanceId"`
	Current  InstanceState `xml:"currentState"`
	Previous InstanceState `xml:"previousState"`
}

// BlockDevice is an image's block device mapping.
type BlockDevice struct {
	DeviceName string `xml:"deviceName"`
	EBS        *struct {
		SnapshotID string `xml:"snapshotId"`
		VolumeSize int    `xml:"volumeSize"`
	} `xml:"ebs"`
}

// Image is an imagesSet item.
type Image struct {
	ID           string        `xml:"imageId"`
	Name         string        `xml:"name"`
	State        string        `xml:"imageState"`
	CreationDate string        `xml:"creationDate"`
	OwnerID      string        `xml:"imageOwnerId"`
	BlockDevices []BlockDevice `xml:"blockDeviceMapping>item"`
	Tags         []Tag         `xml:"tagSet>item"`
}

// Created parses CreationDate; the zero time when it does not parse.
func (im Image) Created() time.Time {
	t, _ := time.Parse(time.RFC3339, im.CreationDate)
	return t
}
