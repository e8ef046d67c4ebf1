package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/vm/ec2"
)

// LabelImageConfig tags every image with the hash of the providers.packer block it was
// built from (ImageConfigHash), so that Deploy runs an image of this config, never one of an
// older config under the same image_name.
const LabelImageConfig = "sindri.dev/image-config"

// LabelRole tells an environment's instance (RoleEnvironment) from the temporary builder
// instance packer runs with the same job labels.
const LabelRole = "sindri.dev/role"

// RoleEnvironment is LabelRole's value on environment instances.
const RoleEnvironment = "environment"

// sshUser is the login of the Ubuntu images the builds start from.
const sshUser = "ubuntu"

// ImageConfigHash returns the 16-hex-digit hash of c that LabelImageConfig carries: the whole
// block, defaults applied, so any change of what the image is made from changes it; the
// settings of the environment's instance alone (aws.key_name, aws.security_group_ids) are
// left out, so changing them does not call for a new image.
func ImageConfigHash(c *config.PackerConfig) string {
	cc := *c
	if cc.AWS != nil {
		a := *cc.AWS
		a.KeyName, a.SecurityGroupIDs = "", nil
		cc.AWS = &a
	}
	b, _ := json.Marshal(&cc)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// ImageTags are the tags Deploy finds the image of c by (besides sindri's managed-by tag).
func ImageTags(c *config.PackerConfig) map[string]string {
	return map[string]string{LabelImage: c.ImageName, LabelImageConfig: ImageConfigHash(c),
		providers.LabelManagedBy: providers.ManagedByValue}
}

// desired is the instance Deploy wants, every default applied.
type desired struct {
	env          string
	region       string
	instanceType string
	subnet       string
	keyName      string
	groups       []string
	volumeGB     int
	pc           *config.PackerConfig
	// delivery authorizes its key and installs the secrets' profile script (nil: neither).
	delivery *secretDelivery
	// secretsPath is where the delivery writes the secrets.
	secretsPath string
	// tags go on the instance and its root volume.
	tags map[string]string
}

// resolve reads the spec into the desired instance. Clouds other than AWS are
// ErrUnsupported, naming what works there.
func resolve(s *providers.Spec) (*desired, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, err
	}
	if pc.Cloud != config.CloudAWS {
		return nil, fmt.Errorf("%s: deploying an environment on %s is not implemented (aws is; on %s the image jobs work: image-validate, image-build): %w",
			Name, pc.Cloud, pc.Cloud, providers.ErrUnsupported)
	}
	a := deref(pc.AWS)
	tags := maps.Clone(s.Labels)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[providers.LabelEnv] = s.Env
	tags[providers.LabelManagedBy] = providers.ManagedByValue
	tags[LabelImage] = pc.ImageName
	tags[LabelRole] = RoleEnvironment
	tags["Name"] = s.Env
	return &desired{env: s.Env, region: a.Region, instanceType: a.InstanceType, subnet: a.SubnetID,
		keyName: a.KeyName, groups: a.SecurityGroupIDs,
		volumeGB: deref(a.VolumeSize), pc: pc, tags: tags}, nil
}

// live are the instance states an environment exists in (terminated ones stay visible for
// an hour and are gone).
var live = []string{ec2.StatePending, ec2.StateRunning, ec2.StateStopping, ec2.StateStopped, ec2.StateShuttingDown}

// observe returns env's instances that are not terminated, oldest first: those tagged with
// the env and sindri's managed-by tag, plus the handle's instance when it carries the env's
// tag (labels win over the handle).
func observe(ctx context.Context, c *ec2.Client, env, handleID string) ([]ec2.Instance, error) {
	found, err := c.DescribeInstances(ctx, nil, ec2.TagFilter(providers.LabelEnv, env),
		ec2.TagFilter(providers.LabelManagedBy, providers.ManagedByValue), ec2.TagFilter(LabelRole, RoleEnvironment),
		ec2.Filter{Name: "instance-state-name", Values: live})
	if err != nil {
		return nil, fmt.Errorf("%s: find the instance of %s: %w", Name, env, err)
	}
	if handleID != "" && !slices.ContainsFunc(found, func(in ec2.Instance) bool { return in.ID == handleID }) {
		byID, err := c.DescribeInstances(ctx, []string{handleID})
		switch {
		case err == nil:
			for _, in := range byID {
				if tags := ec2.TagMap(in.Tags); in.State.Name != ec2.StateTerminated && tags[providers.LabelEnv] == env && tags[LabelRole] == RoleEnvironment {
					found = append(found, in)
				}
			}
		case !isNotFound(err):
			return nil, fmt.Errorf("%s: find instance %s: %w", Name, handleID, err)
		}
	}
	slices.SortFunc(found, func(a, b ec2.Instance) int { return a.LaunchTime.Compare(b.LaunchTime) })
	return found, nil
}

// findImage returns the newest available image built from d's config, or nil.
func findImage(ctx context.Context, c *ec2.Client, pc *config.PackerConfig) (*ec2.Image, error) {
	var fs []ec2.Filter
	tags := ImageTags(pc)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fs = append(fs, ec2.TagFilter(k, tags[k]))
	}
	fs = append(fs, ec2.Filter{Name: "state", Values: []string{"available"}})
	ims, err := c.DescribeImages(ctx, []string{"self"}, nil, fs...)
	if err != nil {
		return nil, fmt.Errorf("%s: find the image %s: %w", Name, pc.ImageName, err)
	}
	if len(ims) == 0 {
		return nil, nil
	}
	newest := slices.MaxFunc(ims, func(a, b ec2.Image) int { return a.Created().Compare(b.Created()) })
	return &newest, nil
}

// runInput is the RunInstances call for d from image, with token as ClientToken.
func runInput(d *desired, image, token string) ec2.RunInput {
	return ec2.RunInput{ImageID: image, InstanceType: d.instanceType, ClientToken: token,
		UserData: userData(d), Tags: ec2.TagList(d.tags), SubnetID: d.subnet, KeyName: d.keyName,
		SecurityGroupIDs: d.groups}
}

// userData is the instance's cloud-init: its hostname, the environment's name and
// repository in /etc/sindri/environment, and the secret delivery's public key and profile
// script. It never holds a secret or a credential: user data is readable by anything on the
// instance through the metadata service, and by whoever may describe it in the cloud's API.
func userData(d *desired) string {
	var b strings.Builder
	b.WriteString("#cloud-config\n")
	fmt.Fprintf(&b, "hostname: %s\n", d.env)
	files := ""
	if d.delivery != nil {
		var top string
		top, files = d.delivery.userData(d.secretsPath)
		b.WriteString(top)
	}
	b.WriteString("write_files:\n" + files + "  - path: /etc/sindri/environment\n    permissions: \"0644\"\n    content: |\n")
	fmt.Fprintf(&b, "      SINDRI_ENV=%s\n", d.env)
	if repo := d.tags[providers.LabelRepo]; repo != "" {
		fmt.Fprintf(&b, "      SINDRI_REPO=%s\n", repo)
	}
	if pr := d.tags[providers.LabelPR]; pr != "" {
		fmt.Fprintf(&b, "      SINDRI_PR=%s\n", pr)
	}
	return b.String()
}

// stateOf maps an EC2 instance state onto providers.State. stopping is stopped already:
// compute billing ends when it begins, and nothing can be started until it ends.
func stateOf(name string) providers.State {
	switch name {
	case ec2.StatePending:
		return providers.StateCreating
	case ec2.StateRunning:
		return providers.StateRunning
	case ec2.StateStopping, ec2.StateStopped:
		return providers.StateStopped
	case ec2.StateShuttingDown:
		return providers.StateDestroying
	case ec2.StateTerminated:
		return providers.StateNotDeployed
	}
	return providers.StateUnknown
}

// tagsDiffer reports whether in lacks one of want's tags or has another value for it.
func tagsDiffer(in ec2.Instance, want map[string]string) bool {
	have := ec2.TagMap(in.Tags)
	for k, v := range want {
		if have[k] != v {
			return true
		}
	}
	return false
}

// connection is how a user reaches in.
func connection(in ec2.Instance, region string) *providers.Connection {
	host := in.PublicIP
	if host == "" {
		host = in.PrivateIP
	}
	return &providers.Connection{
		SSHCommand:   "ssh " + sshUser + "@" + host,
		Instructions: fmt.Sprintf("instance %s in %s (%s); log in as %s with %s", in.ID, region, host, sshUser, keyHint(in.KeyName)),
	}
}

func isNotFound(err error) bool { return errors.Is(err, providers.ErrNotFound) }

// keyHint says which key logs in.
func keyHint(keyName string) string {
	if keyName != "" {
		return "the private key of EC2 key pair " + keyName
	}
	return "EC2 Instance Connect (no key pair is set: providers.packer.aws.key_name)"
}
