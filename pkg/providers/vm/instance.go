package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
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
// settings of the environment's instance alone (aws.key_name, aws.security_group_ids,
// oci.ssh_authorized_keys, alibaba.security_group_id and key_pair_name) are left out, so
// changing them does not call for a new image.
func ImageConfigHash(c *config.PackerConfig) string {
	cc := *c
	if cc.AWS != nil {
		a := *cc.AWS
		a.KeyName, a.SecurityGroupIDs = "", nil
		cc.AWS = &a
	}
	if cc.OCI != nil {
		o := *cc.OCI
		o.SSHAuthorizedKeys = ""
		cc.OCI = &o
	}
	if cc.Alibaba != nil {
		a := *cc.Alibaba
		a.SecurityGroupID, a.KeyPairName = "", ""
		cc.Alibaba = &a
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
	cloud        config.PackerCloud
	region       string
	instanceType string
	volumeGB     int
	pc           *config.PackerConfig
	// delivery authorizes its key and installs the secrets' profile script (nil: neither).
	delivery *secretDelivery
	// secretsPath is where the delivery writes the secrets.
	secretsPath string
	// tags go on the instance and its root volume.
	tags map[string]string
}

// resolve reads the spec into the desired instance. Clouds without a connector are
// ErrUnsupported, naming what works.
func resolve(s *providers.Spec) (*desired, error) {
	pc, err := packerConfig(s)
	if err != nil {
		return nil, err
	}
	if !deploys(pc.Cloud) {
		return nil, fmt.Errorf("%s: deploying an environment on %s is not implemented (%s; on %s the image jobs work: image-validate, image-build): %w",
			Name, pc.Cloud, deployClouds(), pc.Cloud, providers.ErrUnsupported)
	}
	tags := maps.Clone(s.Labels)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[providers.LabelEnv] = s.Env
	tags[providers.LabelManagedBy] = providers.ManagedByValue
	tags[LabelImage] = pc.ImageName
	tags[LabelRole] = RoleEnvironment
	tags["Name"] = s.Env
	typ, volume := shape(pc)
	return &desired{env: s.Env, cloud: pc.Cloud, region: region(pc), instanceType: typ,
		volumeGB: volume, pc: pc, tags: tags}, nil
}

// deployClouds says which clouds run environments ("aws is", "aws, gcp are").
func deployClouds() string {
	var names []string
	for c := range connectors {
		names = append(names, string(c))
	}
	slices.Sort(names)
	if len(names) == 1 {
		return names[0] + " is"
	}
	return strings.Join(names, ", ") + " are"
}

// shape is the instance type and root volume size (GB) of pc's cloud.
func shape(pc *config.PackerConfig) (string, int) {
	switch pc.Cloud {
	case config.CloudAWS:
		return deref(pc.AWS).InstanceType, deref(deref(pc.AWS).VolumeSize)
	case config.CloudGCP:
		return deref(pc.GCP).MachineType, deref(deref(pc.GCP).DiskSize)
	case config.CloudAzure:
		return deref(pc.Azure).VMSize, deref(deref(pc.Azure).OSDiskSizeGB)
	case config.CloudOCI:
		return deref(pc.OCI).Shape, deref(deref(pc.OCI).BootVolumeSizeGB)
	case config.CloudAlibaba:
		return deref(pc.Alibaba).InstanceType, deref(deref(pc.Alibaba).SystemDiskSizeGB)
	}
	return "", 0
}

// envTags are the tags every instance of env carries.
func envTags(env string) map[string]string {
	return map[string]string{providers.LabelEnv: env, providers.LabelManagedBy: providers.ManagedByValue, LabelRole: RoleEnvironment}
}

// observe returns env's instances that are not terminated, oldest first: those tagged with
// the env and sindri's managed-by tag, plus the handle's instance when it carries the env's
// tag (labels win over the handle).
func observe(ctx context.Context, c cloudAPI, env, handleID string) ([]Instance, error) {
	found, err := c.FindInstances(ctx, envTags(env))
	if err != nil {
		return nil, fmt.Errorf("%s: find the instance of %s: %w", Name, env, err)
	}
	if handleID != "" && !slices.ContainsFunc(found, func(in Instance) bool { return in.ID == handleID }) {
		in, err := c.Instance(ctx, handleID)
		switch {
		case err == nil:
			if in.State != instTerminated && in.Tags[providers.LabelEnv] == env && in.Tags[LabelRole] == RoleEnvironment {
				found = append(found, *in)
			}
		case !isNotFound(err):
			return nil, fmt.Errorf("%s: find instance %s: %w", Name, handleID, err)
		}
	}
	slices.SortFunc(found, func(a, b Instance) int { return a.Launched.Compare(b.Launched) })
	return found, nil
}

// findImage returns the newest available image built from d's config, or nil.
func findImage(ctx context.Context, c cloudAPI, pc *config.PackerConfig) (*Image, error) {
	ims, err := c.FindImages(ctx, imageQuery{Tags: ImageTags(pc), Available: true})
	if err != nil {
		return nil, fmt.Errorf("%s: find the image %s: %w", Name, pc.ImageName, err)
	}
	if len(ims) == 0 {
		return nil, nil
	}
	newest := slices.MaxFunc(ims, func(a, b Image) int { return a.Created.Compare(b.Created) })
	return &newest, nil
}

// createOf is the Create call for d from image, with token as its idempotency token.
func createOf(d *desired, image, token string) createInput {
	return createInput{Name: d.env, Token: token, Image: image, Type: d.instanceType, VolumeGB: d.volumeGB,
		UserData: userData(d), Tags: d.tags, Config: d.pc}
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

// stateOf maps a normalised instance state onto providers.State. stopping is stopped
// already: compute billing ends when it begins, and nothing can be started until it ends.
func stateOf(state string) providers.State {
	switch state {
	case instPending:
		return providers.StateCreating
	case instRunning:
		return providers.StateRunning
	case instStopping, instStopped:
		return providers.StateStopped
	case instTerminating:
		return providers.StateDestroying
	case instTerminated:
		return providers.StateNotDeployed
	}
	return providers.StateUnknown
}

// tagsDiffer reports whether in lacks one of want's tags or has another value for it.
func tagsDiffer(in Instance, want map[string]string) bool {
	for k, v := range want {
		if in.Tags[k] != v {
			return true
		}
	}
	return false
}

// connection is how a user reaches in.
func connection(in Instance, region string) *providers.Connection {
	host := instanceHost(in)
	return &providers.Connection{
		SSHCommand:   "ssh " + sshUser + "@" + host,
		Instructions: fmt.Sprintf("instance %s in %s (%s); log in as %s with %s", in.ID, region, host, sshUser, in.Login),
	}
}

func isNotFound(err error) bool { return errors.Is(err, providers.ErrNotFound) }

// sindriTagKeys are the tag keys sindri sets, which the adapters of clouds that rename
// keys (GCE labels, Azure tags) map back.
func sindriTagKeys() []string {
	return []string{providers.LabelEnv, providers.LabelRepo, providers.LabelPR, providers.LabelSHA, providers.LabelManagedBy,
		providers.LabelExpiresAt, providers.LabelGeneration, providers.LabelJobID, LabelImage, LabelImageConfig, LabelRole, "Name"}
}

var nameChar = regexp.MustCompile(`[^a-z0-9-]+`)

// instanceName is the instance name of a launch (GCE, Azure): the env in name form and the
// token's last 8 characters, so that a retry of one launch finds its own instance by name.
func instanceName(env, token string) string {
	base := strings.Trim(nameChar.ReplaceAllString(strings.ToLower(env), "-"), "-")
	if len(base) > 45 {
		base = strings.TrimRight(base[:45], "-")
	}
	suffix := token[max(0, len(token)-8):]
	return "sindri-" + base + "-" + strings.ToLower(suffix)
}

// labelsHave reports whether have holds every key and value of want.
func labelsHave(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
