package alicloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// maxPages bounds a Describe's pagination.
const maxPages = 100

// pageSize is the Describe page size sindri asks for (ECS allows up to 100).
const pageSize = 50

// tagParams adds Tag.N.Key and Tag.N.Value for tags, sorted by key.
func tagParams(p url.Values, tags map[string]string) {
	for i, t := range TagsOf(tags).Tag {
		n := strconv.Itoa(i + 1)
		p.Set("Tag."+n+".Key", t.Key)
		p.Set("Tag."+n+".Value", t.Value)
	}
}

// InstanceFilter narrows DescribeInstances: ids (none: any), a status ("" any) and tags
// that must all match.
type InstanceFilter struct {
	IDs    []string
	Status string
	Tags   map[string]string
}

// DescribeInstances returns the instances matching f, following the pages. Unknown ids are
// left out (ECS answers no error for them).
func (c *Client) DescribeInstances(ctx context.Context, f InstanceFilter) ([]Instance, error) {
	var out []Instance
	for page := 1; page <= maxPages; page++ {
		p := url.Values{"RegionId": {c.region}, "PageNumber": {strconv.Itoa(page)}, "PageSize": {strconv.Itoa(pageSize)}}
		if len(f.IDs) > 0 {
			ids, _ := json.Marshal(f.IDs)
			p.Set("InstanceIds", string(ids))
		}
		if f.Status != "" {
			p.Set("Status", f.Status)
		}
		tagParams(p, f.Tags)
		var resp struct {
			TotalCount int `json:"TotalCount"`
			Instances  struct {
				Instance []Instance `json:"Instance"`
			} `json:"Instances"`
		}
		if err := c.call(ctx, "DescribeInstances", p, true, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Instances.Instance...)
		if len(resp.Instances.Instance) < pageSize || len(out) >= resp.TotalCount {
			return out, nil
		}
	}
	return nil, errors.New("alicloud: DescribeInstances: more than 100 pages")
}

// RunInput is one RunInstances call: one instance, started once created.
type RunInput struct {
	ImageID         string
	InstanceType    string
	SecurityGroupID string
	VSwitchID       string
	InstanceName    string
	HostName        string
	// UserData is the instance's cloud-init text (sent base64-encoded).
	UserData string
	// SystemDiskGB and SystemDiskCategory size the system disk (0 and "": the image's).
	SystemDiskGB       int
	SystemDiskCategory string
	// InternetMaxBandwidthOut > 0 gives the instance a public IP (Mbit/s).
	InternetMaxBandwidthOut int
	KeyPairName             string
	Tags                    map[string]string
	// ClientToken makes the call idempotent: the same token answers the instance it made.
	ClientToken string
}

// RunParams are the parameters RunInstances sends for in (common ones aside): what a Plan
// shows of a launch.
func RunParams(in RunInput) url.Values {
	p := url.Values{"ImageId": {in.ImageID}, "InstanceType": {in.InstanceType}, "Amount": {"1"},
		"InstanceChargeType": {"PostPaid"}, "ClientToken": {in.ClientToken}}
	set := func(k, v string) {
		if v != "" {
			p.Set(k, v)
		}
	}
	set("SecurityGroupId", in.SecurityGroupID)
	set("VSwitchId", in.VSwitchID)
	set("InstanceName", in.InstanceName)
	set("HostName", in.HostName)
	set("SystemDisk.Category", in.SystemDiskCategory)
	set("KeyPairName", in.KeyPairName)
	if in.UserData != "" {
		p.Set("UserData", base64.StdEncoding.EncodeToString([]byte(in.UserData)))
	}
	if in.SystemDiskGB > 0 {
		p.Set("SystemDisk.Size", strconv.Itoa(in.SystemDiskGB))
	}
	if in.InternetMaxBandwidthOut > 0 {
		p.Set("InternetMaxBandwidthOut", strconv.Itoa(in.InternetMaxBandwidthOut))
	}
	tagParams(p, in.Tags)
	return p
}

// RunInstances creates and starts one instance and returns its id.
func (c *Client) RunInstances(ctx context.Context, in RunInput) (string, error) {
	var resp struct {
		IDs struct {
			ID []string `json:"InstanceIdSet"`
		} `json:"InstanceIdSets"`
	}
	p := RunParams(in)
	p.Set("RegionId", c.region)
	if err := c.call(ctx, "RunInstances", p, false, &resp); err != nil {
		return "", err
	}
	if len(resp.IDs.ID) != 1 {
		return "", errors.New("alicloud: RunInstances: the answer holds " + strconv.Itoa(len(resp.IDs.ID)) + " instances, want 1")
	}
	return resp.IDs.ID[0], nil
}

// StopInstance stops instance id in mode (StopCharging or KeepCharging). A state that
// cannot stop is an error matching providers.ErrConflict (IncorrectInstanceStatus).
func (c *Client) StopInstance(ctx context.Context, id, mode string) error {
	p := url.Values{"InstanceId": {id}}
	if mode != "" {
		p.Set("StoppedMode", mode)
	}
	return c.call(ctx, "StopInstance", p, false, nil)
}

// StartInstance starts the stopped instance id.
func (c *Client) StartInstance(ctx context.Context, id string) error {
	return c.call(ctx, "StartInstance", url.Values{"InstanceId": {id}}, false, nil)
}

// DeleteInstance releases instance id with Force (a running one too) and its system disk;
// one already gone is success.
func (c *Client) DeleteInstance(ctx context.Context, id string) error {
	return cloudrest.IgnoreNotFound(c.call(ctx, "DeleteInstance", url.Values{"InstanceId": {id}, "Force": {"true"}}, false, nil))
}

// TagInstance adds or overwrites tags on instance id (TagResources, ResourceType instance).
func (c *Client) TagInstance(ctx context.Context, id string, tags map[string]string) error {
	p := url.Values{"RegionId": {c.region}, "ResourceType": {"instance"}, "ResourceId.1": {id}}
	tagParams(p, tags)
	return c.call(ctx, "TagResources", p, false, nil)
}

// DescribeImages returns the account's own images (ImageOwnerAlias=self) with ids (none:
// any) carrying every tag of tags, following the pages.
func (c *Client) DescribeImages(ctx context.Context, ids []string, tags map[string]string) ([]Image, error) {
	var out []Image
	for page := 1; page <= maxPages; page++ {
		p := url.Values{"RegionId": {c.region}, "ImageOwnerAlias": {"self"}, "PageNumber": {strconv.Itoa(page)}, "PageSize": {strconv.Itoa(pageSize)}}
		if len(ids) > 0 {
			p.Set("ImageId", strings.Join(ids, ","))
		}
		tagParams(p, tags)
		var resp struct {
			TotalCount int `json:"TotalCount"`
			Images     struct {
				Image []Image `json:"Image"`
			} `json:"Images"`
		}
		if err := c.call(ctx, "DescribeImages", p, true, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Images.Image...)
		if len(resp.Images.Image) < pageSize || len(out) >= resp.TotalCount {
			return out, nil
		}
	}
	return nil, errors.New("alicloud: DescribeImages: more than 100 pages")
}

// DeleteImage deletes image id; one already gone is success. Its snapshots stay
// (DeleteSnapshot).
func (c *Client) DeleteImage(ctx context.Context, id string) error {
	return cloudrest.IgnoreNotFound(c.call(ctx, "DeleteImage", url.Values{"RegionId": {c.region}, "ImageId": {id}}, false, nil))
}

// DeleteSnapshot deletes snapshot id; one already gone is success.
func (c *Client) DeleteSnapshot(ctx context.Context, id string) error {
	return cloudrest.IgnoreNotFound(c.call(ctx, "DeleteSnapshot", url.Values{"SnapshotId": {id}}, false, nil))
}
