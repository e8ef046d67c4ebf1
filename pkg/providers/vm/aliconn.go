package vm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/alicloud"
)

func init() {
	connectors[config.CloudAlibaba] = aliConnect
	plans[config.CloudAlibaba] = aliPlan{}
}

// aliBandwidthOut is the public bandwidth (Mbit/s, pay by traffic) an environment's
// instance gets, which gives it a public IP.
const aliBandwidthOut = 10

// aliConnect returns the ECS client of region signed with the AccessKey of s (job
// credentials, else the executor's): ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY. A missing
// one is one MissingCredential naming it.
func aliConnect(p *Provider, s *providers.Spec, region string) (cloudAPI, error) {
	if err := p.requireCredentials(s, config.CloudAlibaba); err != nil {
		return nil, err
	}
	if region == "" {
		// A setting, not a secret: the executor's only, never a job credential.
		region = p.cfg.Getenv("ALICLOUD_REGION")
	}
	if region == "" {
		return nil, fmt.Errorf("%s: no Alibaba Cloud region: set providers.packer.alibaba.region, or ALICLOUD_REGION on the executor: %w", Name, providers.ErrInvalidSpec)
	}
	c, err := alicloud.New(alicloud.Config{Region: region, Endpoint: p.cfg.ECSEndpoint,
		Credentials: alicloud.Credentials{AccessKeyID: p.credential(s, "ALICLOUD_ACCESS_KEY"), AccessKeySecret: p.credential(s, "ALICLOUD_SECRET_KEY")},
		Options:     p.restOptions()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return aliCloud{c: c, poll: p.cfg.PollInterval}, nil
}

// aliCloud is cloudAPI on ECS.
type aliCloud struct {
	c    *alicloud.Client
	poll time.Duration
}

func (a aliCloud) Region() string { return a.c.Region() }

// aliState normalises an ECS status (a released instance is not listed: terminated).
func aliState(s string) string {
	switch s {
	case alicloud.StatusPending, alicloud.StatusStarting:
		return instPending
	case alicloud.StatusRunning:
		return instRunning
	case alicloud.StatusStopping:
		return instStopping
	case alicloud.StatusStopped:
		return instStopped
	}
	return s
}

// aliInstance is in in neutral terms.
func aliInstance(in alicloud.Instance) Instance {
	login := "an ECS key pair (none set: providers.packer.alibaba.key_pair_name), or the console's VNC"
	if in.KeyPairName != "" {
		login = "the private key of ECS key pair " + in.KeyPairName
	}
	return Instance{ID: in.ID, ImageID: in.ImageID, Type: in.Type, State: aliState(in.Status), CloudState: in.Status,
		Launched: in.Created(), PublicIP: in.PublicAddress(), PrivateIP: in.PrivateAddress(), Login: login, Tags: in.Tags.Map()}
}

func (a aliCloud) FindInstances(ctx context.Context, tags map[string]string) ([]Instance, error) {
	found, err := a.c.DescribeInstances(ctx, alicloud.InstanceFilter{Tags: tags})
	if err != nil {
		return nil, err
	}
	out := make([]Instance, 0, len(found))
	for _, in := range found {
		out = append(out, aliInstance(in))
	}
	return out, nil
}

func (a aliCloud) Instance(ctx context.Context, id string) (*Instance, error) {
	got, err := a.c.DescribeInstances(ctx, alicloud.InstanceFilter{IDs: []string{id}})
	if err != nil {
		return nil, err
	}
	if len(got) != 1 {
		return nil, fmt.Errorf("ecs: instance %s is not listed (released): %w", id, providers.ErrNotFound)
	}
	in := aliInstance(got[0])
	return &in, nil
}

// aliRun is the RunInstances call of in: the config's vSwitch, security group and key pair,
// a public IP (pay by traffic), the system disk, tags and cloud-init user data.
func aliRun(in createInput) alicloud.RunInput {
	ac := deref(in.Config.Alibaba)
	return alicloud.RunInput{ImageID: in.Image, InstanceType: in.Type, VSwitchID: ac.VSwitchID, SecurityGroupID: ac.SecurityGroupID,
		InstanceName: in.Name, UserData: in.UserData, SystemDiskGB: in.VolumeGB, SystemDiskCategory: ac.SystemDiskCategory,
		InternetMaxBandwidthOut: aliBandwidthOut, KeyPairName: ac.KeyPairName, Tags: in.Tags, ClientToken: in.Token}
}

func (a aliCloud) Create(ctx context.Context, in createInput) (*Instance, error) {
	ac := deref(in.Config.Alibaba)
	switch {
	case ac.VSwitchID == "":
		return nil, fmt.Errorf("%s: providers.packer.alibaba.vswitch_id is required to run an environment (ECS instances live in a VPC vSwitch): %w", Name, providers.ErrInvalidSpec)
	case ac.SecurityGroupID == "":
		return nil, fmt.Errorf("%s: providers.packer.alibaba.security_group_id is required to run an environment (ECS puts every instance in a security group; allow port 22 in it): %w", Name, providers.ErrInvalidSpec)
	}
	id, err := a.c.RunInstances(ctx, aliRun(in))
	if err != nil {
		return nil, err
	}
	// RunInstances answers only the id: the instance is Pending until DescribeInstances says more.
	return &Instance{ID: id, ImageID: in.Image, Type: in.Type, State: instPending, CloudState: alicloud.StatusPending,
		Launched: time.Now(), Tags: in.Tags}, nil
}

func (a aliCloud) SetTags(ctx context.Context, id string, tags map[string]string) error {
	return a.c.TagInstance(ctx, id, tags)
}

// Stop stops instance id in StopCharging mode: vCPUs and memory are released and no longer
// billed (a public IP that is not an EIP is released too; Start may answer no capacity).
func (a aliCloud) Stop(ctx context.Context, id string) error {
	return a.c.StopInstance(ctx, id, alicloud.StopCharging)
}

func (a aliCloud) Start(ctx context.Context, id string) error {
	return a.c.StartInstance(ctx, id)
}

// Terminate releases each instance with Force. ECS refuses to release one in a transition
// (Pending, Starting, Stopping: IncorrectInstanceStatus), so such a one is waited for, then
// released; the wait ends with ctx.
func (a aliCloud) Terminate(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		for {
			err := a.c.DeleteInstance(ctx, id)
			if !errors.Is(err, providers.ErrConflict) {
				if err != nil {
					return err
				}
				break
			}
			if err := ctxwait.Sleep(ctx, a.poll); err != nil {
				return fmt.Errorf("ecs: release instance %s once its transition ends: %w", id, err)
			}
		}
	}
	return nil
}

func (a aliCloud) FindImages(ctx context.Context, q imageQuery) ([]Image, error) {
	ims, err := a.c.DescribeImages(ctx, q.IDs, q.Tags)
	if err != nil {
		return nil, err
	}
	var out []Image
	for _, im := range ims {
		if q.Available && im.Status != alicloud.ImageAvailable {
			continue
		}
		img := Image{ID: im.ID, Name: im.Name, Created: im.Created(), CreatedText: im.CreationTime,
			Available: im.Status == alicloud.ImageAvailable, Tags: im.Tags.Map()}
		for _, d := range im.Disks.Mapping {
			if d.SnapshotID != "" {
				img.Storage = append(img.Storage, d.SnapshotID)
			}
		}
		out = append(out, img)
	}
	return out, nil
}

// DeleteImage deletes the image, then the snapshots it was made of.
func (a aliCloud) DeleteImage(ctx context.Context, im Image) error {
	return deleteWithStorage(ctx, im, a.c.DeleteImage, a.c.DeleteSnapshot)
}

// aliPlan is cloudPlan on ECS.
type aliPlan struct{}

func (aliPlan) API() string      { return "ECS" }
func (aliPlan) Resource() string { return "alicloud_instance" }

func (aliPlan) Call(op string, d *desired, arg string) string {
	switch op {
	case opFindImage:
		return fmt.Sprintf("ECS %s DescribeImages ImageOwnerAlias=self Tag %s=%s %s=%s %s=%s (Available)", d.region,
			LabelImage, d.pc.ImageName, LabelImageConfig, ImageConfigHash(d.pc), providers.LabelManagedBy, providers.ManagedByValue)
	case opFindInstances:
		return fmt.Sprintf("ECS %s DescribeInstances Tag %s=%s %s=%s %s=%s", d.region,
			providers.LabelEnv, arg, providers.LabelManagedBy, providers.ManagedByValue, LabelRole, RoleEnvironment)
	case opCreate:
		return fmt.Sprintf("ECS %s RunInstances ImageId=%s InstanceType=%s (see ecs/run-instances.txt)", d.region, arg, d.instanceType)
	case opStart:
		return fmt.Sprintf("ECS %s StartInstance InstanceId=%s", d.region, arg)
	case opSetTags:
		return fmt.Sprintf("ECS %s TagResources ResourceType=instance ResourceId.1=%s", d.region, arg)
	}
	return fmt.Sprintf("ECS %s DescribeInstances InstanceIds=[<id>] (until Running)", d.region)
}

func (aliPlan) Launch(in createInput) map[string]string {
	head := "# RunInstances (ECS RPC API 2014-05-26), POST https://ecs." + region(in.Config) + ".aliyuncs.com/, signed with HMAC-SHA1 (SignatureVersion 1.0)"
	return map[string]string{"ecs/run-instances.txt": paramsFile(head, alicloud.RunParams(aliRun(in)), "UserData", "<base64 of ecs/user-data.yaml>"),
		"ecs/user-data.yaml": in.UserData}
}
