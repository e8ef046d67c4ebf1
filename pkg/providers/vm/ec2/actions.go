package ec2

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"

	"github.com/sindri/deploy/v3/pkg/providers/vm/internal/cloudrest"
)

// maxPages bounds a Describe's pagination (a looping NextToken is a platform bug).
const maxPages = 100

// DescribeInstances returns the instances with ids (none: all) that match every filter,
// following NextToken. An unknown id is an error matching providers.ErrNotFound.
func (c *Client) DescribeInstances(ctx context.Context, ids []string, fs ...Filter) ([]Instance, error) {
	var out []Instance
	token := ""
	for range maxPages {
		p := url.Values{}
		indexed(p, "InstanceId", ids)
		filters(p, fs)
		if token != "" {
			p.Set("NextToken", token)
		}
		var resp struct {
			Reservations []struct {
				Instances []Instance `xml:"instancesSet>item"`
			} `xml:"reservationSet>item"`
			NextToken string `xml:"nextToken"`
		}
		if err := c.call(ctx, "DescribeInstances", p, true, &resp); err != nil {
			return nil, err
		}
		for _, r := range resp.Reservations {
			out = append(out, r.Instances...)
		}
		if token = resp.NextToken; token == "" {
			return out, nil
		}
	}
	return nil, errors.New("ec2: DescribeInstances: more than 100 pages")
}

// RunInput is one RunInstances call: one instance.
type RunInput struct {
	ImageID      string
	InstanceType string
	// ClientToken makes the call idempotent: the same token answers the instance it made.
	ClientToken string
	// UserData is the instance's cloud-init text (sent base64-encoded).
	UserData string
	// Tags go on the instance and its volumes at launch.
	Tags []Tag
	// KeyName, SubnetID and SecurityGroupIDs are optional.
	KeyName          string
	SubnetID         string
	SecurityGroupIDs []string
}

// RunParams are the parameters RunInstances sends for in (Action and Version aside): what
// a Plan shows of a launch.
func RunParams(in RunInput) url.Values {
	p := url.Values{
		"ImageId": {in.ImageID}, "InstanceType": {in.InstanceType},
		"MinCount": {"1"}, "MaxCount": {"1"}, "ClientToken": {in.ClientToken},
	}
	if in.UserData != "" {
		p.Set("UserData", base64.StdEncoding.EncodeToString([]byte(in.UserData)))
	}
	if in.KeyName != "" {
		p.Set("KeyName", in.KeyName)
	}
	if in.SubnetID != "" {
		p.Set("SubnetId", in.SubnetID)
	}
	indexed(p, "SecurityGroupId", in.SecurityGroupIDs)
	for i, rt := range []string{"instance", "volume"} {
		prefix := "TagSpecification." + strconv.Itoa(i+1)
		p.Set(prefix+".ResourceType", rt)
		tagParams(p, prefix+".Tag", in.Tags)
	}
	return p
}

// RunInstances launches one instance and returns it (pending).
func (c *Client) RunInstances(ctx context.Context, in RunInput) (*Instance, error) {
	p := RunParams(in)
	var resp struct {
		Instances []Instance `xml:"instancesSet>item"`
	}
	if err := c.call(ctx, "RunInstances", p, false, &resp); err != nil {
		return nil, err
	}
	if len(resp.Instances) != 1 {
		return nil, errors.New("ec2: RunInstances: the answer holds " + strconv.Itoa(len(resp.Instances)) + " instances, want 1")
	}
	return &resp.Instances[0], nil
}

// stateCall sends Stop, Start or TerminateInstances for ids.
func (c *Client) stateCall(ctx context.Context, action string, ids []string) ([]StateChange, error) {
	p := url.Values{}
	indexed(p, "InstanceId", ids)
	var resp struct {
		Changes []StateChange `xml:"instancesSet>item"`
	}
	if err := c.call(ctx, action, p, false, &resp); err != nil {
		return nil, err
	}
	return resp.Changes, nil
}

// StopInstances stops ids. An instance that cannot be stopped in its state is an error
// matching providers.ErrConflict; an unknown one providers.ErrNotFound.
func (c *Client) StopInstances(ctx context.Context, ids ...string) ([]StateChange, error) {
	return c.stateCall(ctx, "StopInstances", ids)
}

// StartInstances starts ids; errors as StopInstances.
func (c *Client) StartInstances(ctx context.Context, ids ...string) ([]StateChange, error) {
	return c.stateCall(ctx, "StartInstances", ids)
}

// TerminateInstances terminates ids (terminating a terminated one again succeeds).
func (c *Client) TerminateInstances(ctx context.Context, ids ...string) ([]StateChange, error) {
	return c.stateCall(ctx, "TerminateInstances", ids)
}

// CreateTags sets tags on the resources ids (added or overwritten).
func (c *Client) CreateTags(ctx context.Context, ids []string, tags []Tag) error {
	p := url.Values{}
	indexed(p, "ResourceId", ids)
	tagParams(p, "Tag", tags)
	return c.call(ctx, "CreateTags", p, false, nil)
}

// DescribeImages returns the images owned by owners ("self") with ids (none: all) that
// match every filter. An unknown id is an error matching providers.ErrNotFound.
func (c *Client) DescribeImages(ctx context.Context, owners, ids []string, fs ...Filter) ([]Image, error) {
	p := url.Values{}
	indexed(p, "Owner", owners)
	indexed(p, "ImageId", ids)
	filters(p, fs)
	var resp struct {
		Images []Image `xml:"imagesSet>item"`
	}
	if err := c.call(ctx, "DescribeImages", p, true, &resp); err != nil {
		return nil, err
	}
	return resp.Images, nil
}

// DeregisterImage deregisters the AMI id; one already gone is success.
func (c *Client) DeregisterImage(ctx context.Context, id string) error {
	return cloudrest.IgnoreNotFound(c.call(ctx, "DeregisterImage", url.Values{"ImageId": {id}}, false, nil))
}

// DeleteSnapshot deletes the EBS snapshot id; one already gone is success.
func (c *Client) DeleteSnapshot(ctx context.Context, id string) error {
	return cloudrest.IgnoreNotFound(c.call(ctx, "DeleteSnapshot", url.Values{"SnapshotId": {id}}, false, nil))
}
