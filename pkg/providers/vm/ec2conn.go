package vm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
)

func init() {
	connectors[config.CloudAWS] = ec2Connect
	plans[config.CloudAWS] = ec2Plan{}
}

// credential returns the variable name's value: a job credential of that name first, then
// the executor's environment.
func (p *Provider) credential(s *providers.Spec, name string) string {
	if s != nil {
		for _, c := range s.Credentials {
			if c.Name == name && c.Value != nil {
				return c.Value.Reveal()
			}
		}
	}
	return p.cfg.Getenv(name)
}

// requireCredentials returns MissingCredential naming the first of cloud's required
// variables that is unset.
func (p *Provider) requireCredentials(s *providers.Spec, cloud config.PackerCloud) error {
	for _, name := range requiredVars[cloud] {
		if p.credential(s, name) == "" {
			return providers.MissingCredential(Name, name)
		}
	}
	return nil
}

// ec2Client returns a client of region signed with the AWS credentials of s (job
// credentials, else the executor's). A missing one is providers.MissingCredential naming
// the variable.
func (p *Provider) ec2Client(s *providers.Spec, region string) (*ec2.Client, error) {
	if err := p.requireCredentials(s, config.CloudAWS); err != nil {
		return nil, err
	}
	c, err := ec2.New(ec2.Config{
		Region:   region,
		Endpoint: p.cfg.EC2Endpoint,
		Credentials: ec2.Credentials{
			AccessKeyID:     p.credential(s, "AWS_ACCESS_KEY_ID"),
			SecretAccessKey: p.credential(s, "AWS_SECRET_ACCESS_KEY"),
			SessionToken:    p.credential(s, "AWS_SESSION_TOKEN"),
		},
		Options: p.restOptions(),
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return c, nil
}

func ec2Connect(p *Provider, s *providers.Spec, region string) (cloudAPI, error) {
	c, err := p.ec2Client(s, region)
	if err != nil {
		return nil, err
	}
	return ec2Cloud{c}, nil
}

// ec2Cloud is cloudAPI on EC2.
type ec2Cloud struct{ c *ec2.Client }

// ec2Live are the instance states an environment exists in (terminated ones stay visible
// for an hour and are gone).
var ec2Live = []string{ec2.StatePending, ec2.StateRunning, ec2.StateStopping, ec2.StateStopped, ec2.StateShuttingDown}

func (e ec2Cloud) Region() string { return e.c.Region() }

// tagFilters are the tag filters of tags, sorted by key.
func tagFilters(tags map[string]string) []ec2.Filter {
	var fs []ec2.Filter
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fs = append(fs, ec2.TagFilter(k, tags[k]))
	}
	return fs
}

func (e ec2Cloud) FindInstances(ctx context.Context, tags map[string]string) ([]Instance, error) {
	found, err := e.c.DescribeInstances(ctx, nil, append(tagFilters(tags), ec2.Filter{Name: "instance-state-name", Values: ec2Live})...)
	if err != nil {
		return nil, err
	}
	out := make([]Instance, 0, len(found))
	for _, in := range found {
		out = append(out, ec2Instance(in))
	}
	return out, nil
}

func (e ec2Cloud) Instance(ctx context.Context, id string) (*Instance, error) {
	got, err := e.c.DescribeInstances(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(got) != 1 {
		return nil, fmt.Errorf("ec2: instance %s: %d answers: %w", id, len(got), providers.ErrNotFound)
	}
	in := ec2Instance(got[0])
	return &in, nil
}

// ec2Instance is in in neutral terms.
func ec2Instance(in ec2.Instance) Instance {
	reason := in.Reason
	if in.StateReason != nil {
		reason = in.StateReason.Message
		if reason == "" {
			reason = in.StateReason.Code
		}
	}
	login := "EC2 Instance Connect (no key pair is set: providers.packer.aws.key_name)"
	if in.KeyName != "" {
		login = "the private key of EC2 key pair " + in.KeyName
	}
	return Instance{ID: in.ID, ImageID: in.ImageID, Type: in.Type, State: ec2State(in.State.Name), CloudState: in.State.Name,
		Reason: reason, Launched: in.LaunchTime, PublicIP: in.PublicIP, PrivateIP: in.PrivateIP, Login: login,
		Tags: ec2.TagMap(in.Tags)}
}

// ec2State normalises an EC2 instance state.
func ec2State(name string) string {
	switch name {
	case ec2.StateShuttingDown:
		return instTerminating
	case ec2.StatePending, ec2.StateRunning, ec2.StateStopping, ec2.StateStopped, ec2.StateTerminated:
		return name // the neutral names are EC2's
	}
	return name
}

func (e ec2Cloud) Create(ctx context.Context, in createInput) (*Instance, error) {
	launched, err := e.c.RunInstances(ctx, ec2RunInput(in))
	if err != nil {
		return nil, err
	}
	out := ec2Instance(*launched)
	return &out, nil
}

// ec2RunInput is the RunInstances call of in.
func ec2RunInput(in createInput) ec2.RunInput {
	a := deref(in.Config.AWS)
	return ec2.RunInput{ImageID: in.Image, InstanceType: in.Type, ClientToken: in.Token,
		UserData: in.UserData, Tags: ec2.TagList(in.Tags), SubnetID: a.SubnetID, KeyName: a.KeyName,
		SecurityGroupIDs: a.SecurityGroupIDs}
}

func (e ec2Cloud) SetTags(ctx context.Context, id string, tags map[string]string) error {
	return e.c.CreateTags(ctx, []string{id}, ec2.TagList(tags))
}

func (e ec2Cloud) Stop(ctx context.Context, id string) error {
	_, err := e.c.StopInstances(ctx, id)
	return err
}

func (e ec2Cloud) Start(ctx context.Context, id string) error {
	_, err := e.c.StartInstances(ctx, id)
	return err
}

func (e ec2Cloud) Terminate(ctx context.Context, ids ...string) error {
	_, err := e.c.TerminateInstances(ctx, ids...)
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	return err
}

func (e ec2Cloud) FindImages(ctx context.Context, q imageQuery) ([]Image, error) {
	fs := tagFilters(q.Tags)
	if q.Available {
		fs = append(fs, ec2.Filter{Name: "state", Values: []string{"available"}})
	}
	ims, err := e.c.DescribeImages(ctx, []string{"self"}, q.IDs, fs...)
	if err != nil {
		if len(q.IDs) > 0 && errors.Is(err, providers.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]Image, 0, len(ims))
	for _, im := range ims {
		img := Image{ID: im.ID, Name: im.Name, Created: im.Created(), CreatedText: im.CreationDate,
			Available: im.State == "available", Tags: ec2.TagMap(im.Tags)}
		for _, m := range im.BlockDevices {
			if m.EBS != nil && m.EBS.SnapshotID != "" {
				img.Storage = append(img.Storage, m.EBS.SnapshotID)
			}
		}
		out = append(out, img)
	}
	return out, nil
}

func (e ec2Cloud) DeleteImage(ctx context.Context, im Image) error {
	return deleteWithStorage(ctx, im, e.c.DeregisterImage, e.c.DeleteSnapshot)
}

// ec2Plan is cloudPlan on EC2.
type ec2Plan struct{}

func (ec2Plan) API() string      { return "EC2" }
func (ec2Plan) Resource() string { return "aws_instance" }

func (ec2Plan) Call(op string, d *desired, arg string) string {
	switch op {
	case opFindImage:
		return fmt.Sprintf("EC2 %s DescribeImages Owner=self tag:%s=%s tag:%s=%s state=available",
			d.region, LabelImage, d.pc.ImageName, LabelImageConfig, ImageConfigHash(d.pc))
	case opFindInstances:
		return fmt.Sprintf("EC2 %s DescribeInstances tag:%s=%s tag:%s=%s tag:%s=%s instance-state-name=%s", d.region,
			providers.LabelEnv, arg, providers.LabelManagedBy, providers.ManagedByValue, LabelRole, RoleEnvironment, strings.Join(ec2Live, ","))
	case opCreate:
		return fmt.Sprintf("EC2 %s RunInstances ImageId=%s InstanceType=%s (see ec2/run-instances.txt)", d.region, arg, d.instanceType)
	case opStart:
		return fmt.Sprintf("EC2 %s StartInstances %s", d.region, arg)
	case opSetTags:
		return fmt.Sprintf("EC2 %s CreateTags %s", d.region, arg)
	}
	return fmt.Sprintf("EC2 %s DescribeInstances (until running)", d.region)
}

func (ec2Plan) Launch(in createInput) map[string]string {
	head := "# RunInstances (EC2 Query API 2016-11-15), POST https://ec2." + region(in.Config) + ".amazonaws.com/, signed with AWS Signature V4"
	return map[string]string{"ec2/run-instances.txt": paramsFile(head, ec2.RunParams(ec2RunInput(in)), "UserData", "<base64 of ec2/user-data.yaml>"),
		"ec2/user-data.yaml": in.UserData}
}
