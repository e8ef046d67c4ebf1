package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/excerpt"
)

// ProviderPacker builds VM images with Packer (contract §3.8). Image builds run as the job
// kinds image-build, image-validate, image-list and image-delete; deploying an environment
// from an image is left to a VM provider.
const ProviderPacker ProviderName = "packer"

// PackerCloud is providers.packer.cloud.
type PackerCloud string

// Clouds Packer builds images for.
const (
	CloudAWS     PackerCloud = "aws"
	CloudAzure   PackerCloud = "azure"
	CloudGCP     PackerCloud = "gcp"
	CloudOCI     PackerCloud = "oci"
	CloudAlibaba PackerCloud = "alibaba"
)

// String returns the canonical cloud name.
func (c PackerCloud) String() string { return string(c) }

// packerClouds maps every accepted spelling of cloud to its canonical value (the upstream
// FromStr aliases google, oracle, alicloud and the CLI's amazon, microsoft).
var packerClouds = map[string]PackerCloud{
	"aws": CloudAWS, "azure": CloudAzure, "gcp": CloudGCP, "oci": CloudOCI, "alibaba": CloudAlibaba,
	"amazon": CloudAWS, "microsoft": CloudAzure, "google": CloudGCP, "oracle": CloudOCI, "alicloud": CloudAlibaba,
}

// ParseCloud returns the canonical cloud of an accepted spelling ("alicloud" is alibaba,
// "oracle" oci, ...), and false for any other text.
func ParseCloud(s string) (PackerCloud, bool) {
	c, ok := packerClouds[s]
	return c, ok
}

// cloudBlocks are the per-cloud keys of providers.packer, in the enum's order.
var cloudBlocks = []PackerCloud{CloudAWS, CloudAzure, CloudGCP, CloudOCI, CloudAlibaba}

// MaxImageNameLength bounds providers.packer.image_name. The build appends "-" and a
// 14-digit UTC timestamp (YYYYMMDDhhmmss), 15 characters, so that every build has a fresh
// name; GCP allows 63 characters, the least of the five clouds (Azure 80, AWS and Alibaba 128,
// OCI 255), which leaves 48.
const MaxImageNameLength = 48

// imageNameRE is a name every cloud accepts: GCP's [a-z]([-a-z0-9]*[a-z0-9])? is the
// strictest (lowercase letter first, no trailing dash); Alibaba wants a letter first too.
var imageNameRE = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)

// securityGroupRE is an EC2 security group id.
var securityGroupRE = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)

// aliSecurityGroupRE matches an ECS security group id (sg- and 20 or so letters and digits).
var aliSecurityGroupRE = regexp.MustCompile(`^sg-[0-9a-z]{8,32}$`)

// gcpRegionRE matches a GCP region (us-west1), which is not a zone (us-west1-a).
var gcpRegionRE = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)

// azureImageVersionRE is the Azure Compute Gallery image version form.
var azureImageVersionRE = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

var packerSchema = providerSchema{
	name:  ProviderPacker,
	block: "packer",
	// No resource defaults: the builder VM is sized by the cloud block (instance_type,
	// vm_size, machine_type, shape) and the image has no workspace volume.
	unused: []string{"deployment.image", "deployment.image_config", "deployment.resources", "deployment.volumes"},
	unusedHints: map[string]string{
		"deployment.image":        "the image is built from the Ubuntu base image of the cloud",
		"deployment.image_config": "the image is built from the Ubuntu base image of the cloud",
		"deployment.resources":    "the builder VM's size comes from providers.packer.<cloud> (instance_type, vm_size, machine_type or shape)",
		"deployment.volumes":      "the disk size comes from providers.packer.<cloud> (volume_size, os_disk_size_gb, disk_size, boot_volume_size_gb or system_disk_size_gb)",
	},
	decode: func(d *decoder, m *mapView, p *Providers) {
		m.obj("packer", nil, func(s *mapView) { p.Packer = d.packer(s) })
	},
	defaults: packerDefaults,
	rules:    packerRules,
}

// PackerConfig is providers.packer (contract §3.8.1, snake_case keys). Besides the contract's
// keys, the short form of the provider guide is read: a top-level region goes to the cloud
// block (aws.region, azure.location, gcp.zone, alibaba.region) and profile to build.profile.
type PackerConfig struct {
	Cloud       PackerCloud       `yaml:"cloud" json:"cloud"`
	ImageID     string            `yaml:"image_id,omitempty" json:"image_id,omitempty"`
	ImageName   string            `yaml:"image_name,omitempty" json:"image_name,omitempty"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Build       PackerBuild       `yaml:"build,omitempty" json:"build,omitempty"`
	Tags        map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	AWS         *PackerAWS        `yaml:"aws,omitempty" json:"aws,omitempty"`
	Azure       *PackerAzure      `yaml:"azure,omitempty" json:"azure,omitempty"`
	GCP         *PackerGCP        `yaml:"gcp,omitempty" json:"gcp,omitempty"`
	OCI         *PackerOCI        `yaml:"oci,omitempty" json:"oci,omitempty"`
	Alibaba     *PackerAlibaba    `yaml:"alibaba,omitempty" json:"alibaba,omitempty"`
}

// PackerBuild is providers.packer.build.
type PackerBuild struct {
	Extensions      []string           `yaml:"extensions,omitempty" json:"extensions,omitempty"`
	Profile         string             `yaml:"profile,omitempty" json:"profile,omitempty"`
	SindriVersion   string             `yaml:"sindri_version,omitempty" json:"sindri_version,omitempty"`
	Cache           *bool              `yaml:"cache,omitempty" json:"cache,omitempty"`
	NamePrefix      string             `yaml:"name_prefix,omitempty" json:"name_prefix,omitempty"`
	Security        PackerSecurity     `yaml:"security,omitempty" json:"security,omitempty"`
	Scripts         []string           `yaml:"scripts,omitempty" json:"scripts,omitempty"`
	AnsiblePlaybook string             `yaml:"ansible_playbook,omitempty" json:"ansible_playbook,omitempty"`
	Environment     map[string]string  `yaml:"environment,omitempty" json:"environment,omitempty"`
	FileUploads     []PackerFileUpload `yaml:"file_uploads,omitempty" json:"file_uploads,omitempty"`
	ParallelBuilds  *int               `yaml:"parallel_builds,omitempty" json:"parallel_builds,omitempty"`
	SSHTimeout      string             `yaml:"ssh_timeout,omitempty" json:"ssh_timeout,omitempty"`
}

// PackerSecurity is providers.packer.build.security.
type PackerSecurity struct {
	CISHardening       *bool `yaml:"cis_hardening,omitempty" json:"cis_hardening,omitempty"`
	OpenSCAPScan       *bool `yaml:"openscap_scan,omitempty" json:"openscap_scan,omitempty"`
	CleanSensitiveData *bool `yaml:"clean_sensitive_data,omitempty" json:"clean_sensitive_data,omitempty"`
	RemoveSSHKeys      *bool `yaml:"remove_ssh_keys,omitempty" json:"remove_ssh_keys,omitempty"`
}

// PackerFileUpload is one providers.packer.build.file_uploads item.
type PackerFileUpload struct {
	Source      string `yaml:"source" json:"source"`
	Destination string `yaml:"destination" json:"destination"`
}

// PackerAWS is providers.packer.aws.
type PackerAWS struct {
	Region       string   `yaml:"region,omitempty" json:"region,omitempty"`
	InstanceType string   `yaml:"instance_type,omitempty" json:"instance_type,omitempty"`
	VolumeSize   *int     `yaml:"volume_size,omitempty" json:"volume_size,omitempty"`
	VolumeType   string   `yaml:"volume_type,omitempty" json:"volume_type,omitempty"`
	EncryptBoot  *bool    `yaml:"encrypt_boot,omitempty" json:"encrypt_boot,omitempty"`
	VPCID        string   `yaml:"vpc_id,omitempty" json:"vpc_id,omitempty"`
	SubnetID     string   `yaml:"subnet_id,omitempty" json:"subnet_id,omitempty"`
	AMIRegions   []string `yaml:"ami_regions,omitempty" json:"ami_regions,omitempty"`
	AMIUsers     []string `yaml:"ami_users,omitempty" json:"ami_users,omitempty"`
	AMIGroups    []string `yaml:"ami_groups,omitempty" json:"ami_groups,omitempty"`
	// KeyName and SecurityGroupIDs are sindri-deploy's own keys, for the instance an
	// environment runs on (not the builder): the EC2 key pair to authorize, and the security
	// groups to attach (default: the VPC's default group).
	KeyName          string   `yaml:"key_name,omitempty" json:"key_name,omitempty"`
	SecurityGroupIDs []string `yaml:"security_group_ids,omitempty" json:"security_group_ids,omitempty"`
}

// PackerAzure is providers.packer.azure. SubscriptionID and ResourceGroup may be left empty:
// the executor then takes AZURE_SUBSCRIPTION_ID and AZURE_RESOURCE_GROUP (else sindri-packer).
type PackerAzure struct {
	SubscriptionID     string              `yaml:"subscription_id,omitempty" json:"subscription_id,omitempty"`
	ResourceGroup      string              `yaml:"resource_group,omitempty" json:"resource_group,omitempty"`
	Location           string              `yaml:"location,omitempty" json:"location,omitempty"`
	VMSize             string              `yaml:"vm_size,omitempty" json:"vm_size,omitempty"`
	OSDiskSizeGB       *int                `yaml:"os_disk_size_gb,omitempty" json:"os_disk_size_gb,omitempty"`
	StorageAccountType string              `yaml:"storage_account_type,omitempty" json:"storage_account_type,omitempty"`
	Gallery            *PackerAzureGallery `yaml:"gallery,omitempty" json:"gallery,omitempty"`
}

// PackerAzureGallery is providers.packer.azure.gallery (a Compute Gallery destination).
type PackerAzureGallery struct {
	GalleryName        string   `yaml:"gallery_name" json:"gallery_name"`
	ImageName          string   `yaml:"image_name" json:"image_name"`
	ImageVersion       string   `yaml:"image_version,omitempty" json:"image_version,omitempty"`
	ReplicationRegions []string `yaml:"replication_regions,omitempty" json:"replication_regions,omitempty"`
}

// PackerGCP is providers.packer.gcp. ProjectID may be left empty: the executor then takes
// GCP_PROJECT_ID.
type PackerGCP struct {
	ProjectID        string `yaml:"project_id,omitempty" json:"project_id,omitempty"`
	Zone             string `yaml:"zone,omitempty" json:"zone,omitempty"`
	MachineType      string `yaml:"machine_type,omitempty" json:"machine_type,omitempty"`
	DiskSize         *int   `yaml:"disk_size,omitempty" json:"disk_size,omitempty"`
	DiskType         string `yaml:"disk_type,omitempty" json:"disk_type,omitempty"`
	EnableSecureBoot *bool  `yaml:"enable_secure_boot,omitempty" json:"enable_secure_boot,omitempty"`
	ImageFamily      string `yaml:"image_family,omitempty" json:"image_family,omitempty"`
	Network          string `yaml:"network,omitempty" json:"network,omitempty"`
	Subnetwork       string `yaml:"subnetwork,omitempty" json:"subnetwork,omitempty"`
}

// PackerOCI is providers.packer.oci. CompartmentOCID and SubnetOCID may be left empty: the
// executor then takes OCI_COMPARTMENT_OCID and OCI_SUBNET_OCID. AvailabilityDomain has no
// such fallback and is required when cloud is oci.
type PackerOCI struct {
	CompartmentOCID    string          `yaml:"compartment_ocid,omitempty" json:"compartment_ocid,omitempty"`
	AvailabilityDomain string          `yaml:"availability_domain,omitempty" json:"availability_domain,omitempty"`
	Shape              string          `yaml:"shape,omitempty" json:"shape,omitempty"`
	ShapeConfig        *PackerOCIShape `yaml:"shape_config,omitempty" json:"shape_config,omitempty"`
	SubnetOCID         string          `yaml:"subnet_ocid,omitempty" json:"subnet_ocid,omitempty"`
	BootVolumeSizeGB   *int            `yaml:"boot_volume_size_gb,omitempty" json:"boot_volume_size_gb,omitempty"`
	// SSHAuthorizedKeys is sindri-deploy's own key, for the instance an environment runs on
	// (not the builder): the OpenSSH public keys (one a line) its metadata authorizes for
	// the ubuntu user.
	SSHAuthorizedKeys string `yaml:"ssh_authorized_keys,omitempty" json:"ssh_authorized_keys,omitempty"`
}

// PackerOCIShape is providers.packer.oci.shape_config (Flex shapes).
type PackerOCIShape struct {
	OCPUs       *int `yaml:"ocpus,omitempty" json:"ocpus,omitempty"`
	MemoryInGBs *int `yaml:"memory_in_gbs,omitempty" json:"memory_in_gbs,omitempty"`
}

// PackerAlibaba is providers.packer.alibaba.
type PackerAlibaba struct {
	Region             string `yaml:"region,omitempty" json:"region,omitempty"`
	InstanceType       string `yaml:"instance_type,omitempty" json:"instance_type,omitempty"`
	SystemDiskSizeGB   *int   `yaml:"system_disk_size_gb,omitempty" json:"system_disk_size_gb,omitempty"`
	SystemDiskCategory string `yaml:"system_disk_category,omitempty" json:"system_disk_category,omitempty"`
	VSwitchID          string `yaml:"vswitch_id,omitempty" json:"vswitch_id,omitempty"`
	// SecurityGroupID and KeyPairName are sindri-deploy's own keys, for the instance an
	// environment runs on (not the builder): the security group it joins (ECS requires one)
	// and the ECS key pair to authorize.
	SecurityGroupID string `yaml:"security_group_id,omitempty" json:"security_group_id,omitempty"`
	KeyPairName     string `yaml:"key_pair_name,omitempty" json:"key_pair_name,omitempty"`
}

// noTemplate refuses text Packer would expand: Packer 1.6.6 still runs Go templates on
// builder strings, so "{{" in user text either fails the build or runs a template function.
func noTemplate(s string) (Severity, string, string) {
	if !strings.Contains(s, "{{") {
		return 0, "", ""
	}
	return SeverityError, `contains "{{", which Packer reads as the start of a template`,
		"remove the braces: this text is written into the Packer template, and Packer would expand it (build dates and names are added by the build itself)"
}

// sshPublicKeys refuses a private key pasted where public keys belong: every non-empty line
// must start with an OpenSSH public key type.
func sshPublicKeys(s string) (Severity, string, string) {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.Contains(line, "PRIVATE KEY") {
			return SeverityError, "holds a private key", "put only public keys here (the .pub file): the private key must never be in sindri.yaml"
		}
		if !strings.HasPrefix(line, "ssh-") && !strings.HasPrefix(line, "ecdsa-") && !strings.HasPrefix(line, "sk-") {
			return SeverityError, "a line is not an OpenSSH public key", "write one public key a line, such as the content of ~/.ssh/id_ed25519.pub (ssh-ed25519 AAAA...)"
		}
	}
	return 0, "", ""
}

func checkCloud(s string) (Severity, string, string) {
	if _, ok := packerClouds[s]; ok {
		return 0, "", ""
	}
	return enum("cloud", "aws", "azure", "gcp", "oci", "alibaba")(s)
}

func checkDuration(s string) (Severity, string, string) {
	if d, err := time.ParseDuration(s); err != nil || d <= 0 {
		return SeverityError, fmt.Sprintf("%s is not a duration", excerpt.Quote(s)), "write a positive duration such as 20m or 1h30m"
	}
	return 0, "", ""
}

func (d *decoder) packer(m *mapView) *PackerConfig {
	c := &PackerConfig{}
	m.required("cloud", "one of aws, azure, gcp, oci, alibaba")
	var cloud string
	if m.str("cloud", &cloud, checkCloud) {
		c.Cloud = packerClouds[cloud]
	}
	m.str("image_id", &c.ImageID, noTemplate)
	m.str("image_name", &c.ImageName, noTemplate,
		pattern(imageNameRE, "an image name every cloud accepts (lowercase letter first, then lowercase letters, digits or '-', not ending in '-')"),
		maxLen(MaxImageNameLength))
	m.str("description", &c.Description, noTemplate)
	m.obj("build", nil, func(s *mapView) { d.packerBuild(s, &c.Build) })
	m.strMap("tags", &c.Tags, noTemplate)
	m.obj("aws", nil, func(s *mapView) { c.AWS = packerAWS(s) })
	m.obj("azure", nil, func(s *mapView) { c.Azure = packerAzure(s) })
	m.obj("gcp", nil, func(s *mapView) { c.GCP = packerGCP(s) })
	m.obj("oci", nil, func(s *mapView) {
		c.OCI = packerOCI(s)
		if c.Cloud == CloudOCI {
			s.required("availability_domain", ociADHint)
		}
	})
	m.obj("alibaba", nil, func(s *mapView) { c.Alibaba = packerAlibaba(s) })
	d.packerShortForm(m, c)
	d.packerCloudChecks(m, c)
	return c
}

func (d *decoder) packerBuild(m *mapView, b *PackerBuild) {
	m.strList("extensions", nil, &b.Extensions, noTemplate)
	m.str("profile", &b.Profile, noTemplate, checkProfile)
	m.str("sindri_version", &b.SindriVersion, noTemplate)
	m.boolp("cache", nil, &b.Cache)
	m.str("name_prefix", &b.NamePrefix, noTemplate)
	m.obj("security", nil, func(s *mapView) {
		sec := &b.Security
		s.boolp("cis_hardening", nil, &sec.CISHardening)
		s.boolp("openscap_scan", nil, &sec.OpenSCAPScan)
		s.boolp("clean_sensitive_data", nil, &sec.CleanSensitiveData)
		s.boolp("remove_ssh_keys", nil, &sec.RemoveSSHKeys)
	})
	m.strList("scripts", nil, &b.Scripts, noTemplate)
	m.str("ansible_playbook", &b.AnsiblePlaybook, noTemplate)
	m.strMap("environment", &b.Environment, noTemplate)
	if items, path, ok := m.seq("file_uploads"); ok {
		for i, it := range items {
			s := d.mapping(it, idx(path, i))
			if s == nil {
				continue
			}
			var u PackerFileUpload
			s.required("source", "the local file or directory to upload, relative to sindri.yaml")
			s.str("source", &u.Source, noTemplate)
			s.required("destination", "where it goes on the builder VM, e.g. /tmp/app")
			s.str("destination", &u.Destination, noTemplate)
			s.finish()
			b.FileUploads = append(b.FileUploads, u)
		}
	}
	m.intp("parallel_builds", nil, &b.ParallelBuilds, 0, noMax)
	m.str("ssh_timeout", &b.SSHTimeout, noTemplate, checkDuration)
}

func packerAWS(m *mapView) *PackerAWS {
	a := &PackerAWS{}
	m.str("region", &a.Region, noTemplate)
	m.str("instance_type", &a.InstanceType, noTemplate)
	m.intp("volume_size", nil, &a.VolumeSize, 8, 16384)
	m.str("volume_type", &a.VolumeType, enum("volume type", "gp2", "gp3", "io1", "io2", "standard"))
	m.boolp("encrypt_boot", nil, &a.EncryptBoot)
	m.str("vpc_id", &a.VPCID, noTemplate)
	m.str("subnet_id", &a.SubnetID, noTemplate)
	m.strList("ami_regions", nil, &a.AMIRegions, noTemplate)
	m.strList("ami_users", nil, &a.AMIUsers, noTemplate)
	m.strList("ami_groups", nil, &a.AMIGroups, noTemplate)
	m.str("key_name", &a.KeyName, noTemplate)
	m.strList("security_group_ids", nil, &a.SecurityGroupIDs, noTemplate,
		pattern(securityGroupRE, "a security group id such as sg-0123456789abcdef0"))
	return a
}

func packerAzure(m *mapView) *PackerAzure {
	a := &PackerAzure{}
	m.str("subscription_id", &a.SubscriptionID, noTemplate)
	m.str("resource_group", &a.ResourceGroup, noTemplate)
	m.str("location", &a.Location, noTemplate)
	m.str("vm_size", &a.VMSize, noTemplate)
	m.intp("os_disk_size_gb", nil, &a.OSDiskSizeGB, 30, 4095)
	m.str("storage_account_type", &a.StorageAccountType, enum("storage account type", "Standard_LRS", "Premium_LRS"))
	m.obj("gallery", nil, func(s *mapView) {
		g := &PackerAzureGallery{}
		a.Gallery = g
		s.required("gallery_name", "the Compute Gallery to publish to")
		s.str("gallery_name", &g.GalleryName, noTemplate)
		s.required("image_name", "the gallery image definition")
		s.str("image_name", &g.ImageName, noTemplate)
		s.str("image_version", &g.ImageVersion, pattern(azureImageVersionRE, "a gallery image version like 1.0.0"))
		s.strList("replication_regions", nil, &g.ReplicationRegions, noTemplate)
	})
	return a
}

func packerGCP(m *mapView) *PackerGCP {
	g := &PackerGCP{}
	m.str("project_id", &g.ProjectID, noTemplate)
	m.str("zone", &g.Zone, noTemplate)
	m.str("machine_type", &g.MachineType, noTemplate)
	m.intp("disk_size", nil, &g.DiskSize, 10, 65536)
	m.str("disk_type", &g.DiskType, enum("disk type", "pd-standard", "pd-balanced", "pd-ssd"))
	m.boolp("enable_secure_boot", nil, &g.EnableSecureBoot)
	m.str("image_family", &g.ImageFamily, noTemplate, pattern(imageNameRE, "a GCP image family (lowercase letter first, then lowercase letters, digits or '-')"))
	m.str("network", &g.Network, noTemplate)
	m.str("subnetwork", &g.Subnetwork, noTemplate)
	return g
}

func packerOCI(m *mapView) *PackerOCI {
	o := &PackerOCI{}
	m.str("compartment_ocid", &o.CompartmentOCID, noTemplate)
	m.str("availability_domain", &o.AvailabilityDomain, noTemplate)
	m.str("shape", &o.Shape, noTemplate)
	m.obj("shape_config", nil, func(s *mapView) {
		sc := &PackerOCIShape{}
		o.ShapeConfig = sc
		s.intp("ocpus", nil, &sc.OCPUs, 1, noMax)
		s.intp("memory_in_gbs", nil, &sc.MemoryInGBs, 1, noMax)
	})
	m.str("subnet_ocid", &o.SubnetOCID, noTemplate)
	m.intp("boot_volume_size_gb", nil, &o.BootVolumeSizeGB, 50, 32768)
	m.str("ssh_authorized_keys", &o.SSHAuthorizedKeys, noTemplate, sshPublicKeys)
	return o
}

func packerAlibaba(m *mapView) *PackerAlibaba {
	a := &PackerAlibaba{}
	m.str("region", &a.Region, noTemplate)
	m.str("instance_type", &a.InstanceType, noTemplate)
	m.intp("system_disk_size_gb", nil, &a.SystemDiskSizeGB, 20, 2048)
	m.str("system_disk_category", &a.SystemDiskCategory,
		enum("system disk category", "cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto"))
	m.str("vswitch_id", &a.VSwitchID, noTemplate)
	m.str("security_group_id", &a.SecurityGroupID, noTemplate, pattern(aliSecurityGroupRE, "an ECS security group id such as sg-bp1a2b3c4d5e6f7g8h9i"))
	m.str("key_pair_name", &a.KeyPairName, noTemplate)
	return a
}

// packerShortForm reads the provider guide's short keys: profile is build.profile, and region
// is the region (location, zone) of the chosen cloud's block. Setting a short key and its
// long form both is an error, as for any two spellings of one setting.
func (d *decoder) packerShortForm(m *mapView, c *PackerConfig) {
	var profile string
	if m.str("profile", &profile, noTemplate, checkProfile) {
		if c.Build.Profile != "" {
			d.errorf(m.entries["profile"].k, join(m.path, "profile"), "keep only one of them",
				"profile and build.profile are the same setting; both are set")
		} else {
			c.Build.Profile = profile
		}
	}
	var region string
	if !m.str("region", &region, noTemplate) {
		return
	}
	k := m.entries["region"].k
	path := join(m.path, "region")
	var dst *string
	var long string
	switch c.Cloud {
	case CloudAWS:
		dst, long = &ensure(&c.AWS).Region, "aws.region"
	case CloudAzure:
		dst, long = &ensure(&c.Azure).Location, "azure.location"
	case CloudGCP:
		if gcpRegionRE.MatchString(region) {
			d.errorf(resolve(m.entries["region"].v), path, fmt.Sprintf("name a zone of it, e.g. %s-a", region),
				"%s is a GCP region; GCP images are built in a zone (region is read as gcp.zone)", excerpt.Quote(region))
			return
		}
		dst, long = &ensure(&c.GCP).Zone, "gcp.zone"
	case CloudAlibaba:
		dst, long = &ensure(&c.Alibaba).Region, "alibaba.region"
	case CloudOCI:
		d.warnf(k, path, "the OCI region comes from the executor's OCI configuration (OCI_REGION or ~/.oci/config); set oci.availability_domain",
			"region has no effect with cloud oci")
		return
	default:
		return // no valid cloud: already an error
	}
	if *dst != "" {
		d.errorf(k, path, "keep only one of them", "region and %s are the same setting; both are set", long)
		return
	}
	*dst = region
}

// ociADHint explains oci.availability_domain, the one required per-cloud setting that no
// environment variable of the executor can supply.
const ociADHint = "the availability domain to build in, e.g. Uocm:PHX-AD-1; unlike the compartment and subnet, no environment variable provides it"

// packerCloudChecks applies the rules that depend on the chosen cloud: a required setting
// with no fallback in the executor's environment, and blocks of other clouds.
func (d *decoder) packerCloudChecks(m *mapView, c *PackerConfig) {
	if c.Cloud == "" {
		return
	}
	if c.Cloud == CloudOCI {
		m.required("oci", "cloud oci needs oci.availability_domain: "+ociADHint)
	}
	for _, other := range cloudBlocks {
		if k, ok := d.present[join(m.path, string(other))]; ok && other != c.Cloud {
			d.warnf(k, join(m.path, string(other)), "", "providers.packer.%s is ignored: cloud is %s", other, c.Cloud)
		}
	}
}

func packerDefaults(c *Config) {
	p := c.Providers.Packer
	if p == nil {
		return // refused by packerRules
	}
	setStr(&p.ImageName, "sindri-dev")
	b := &p.Build
	setStr(&b.SindriVersion, "latest")
	setPtr(&b.Cache, true)
	setPtr(&b.Security.CISHardening, false)
	setPtr(&b.Security.OpenSCAPScan, false)
	setPtr(&b.Security.CleanSensitiveData, true)
	setPtr(&b.Security.RemoveSSHKeys, true)
	setPtr(&b.ParallelBuilds, 0)
	setStr(&b.SSHTimeout, "20m")
	switch p.Cloud {
	case CloudAWS:
		a := ensure(&p.AWS)
		setStr(&a.Region, "us-west-2")
		setStr(&a.InstanceType, "t3.large")
		setPtr(&a.VolumeSize, 80)
		setStr(&a.VolumeType, "gp3")
		setPtr(&a.EncryptBoot, true)
	case CloudAzure:
		a := ensure(&p.Azure)
		setStr(&a.Location, "westus2")
		setStr(&a.VMSize, "Standard_D4s_v4")
		setPtr(&a.OSDiskSizeGB, 80)
		setStr(&a.StorageAccountType, "Premium_LRS")
		if a.Gallery != nil {
			setStr(&a.Gallery.ImageVersion, "1.0.0")
		}
	case CloudGCP:
		g := ensure(&p.GCP)
		setStr(&g.Zone, "us-west1-a")
		setStr(&g.MachineType, "e2-standard-4")
		setPtr(&g.DiskSize, 80)
		setStr(&g.DiskType, "pd-ssd")
		setPtr(&g.EnableSecureBoot, false)
	case CloudOCI:
		o := ensure(&p.OCI)
		setStr(&o.Shape, "VM.Standard.E4.Flex")
		setPtr(&o.BootVolumeSizeGB, 80)
	case CloudAlibaba:
		a := ensure(&p.Alibaba)
		setStr(&a.Region, "cn-hangzhou")
		setStr(&a.InstanceType, "ecs.g6.xlarge")
		setPtr(&a.SystemDiskSizeGB, 80)
		setStr(&a.SystemDiskCategory, "cloud_essd")
	}
}

// imageJobsHint says where VM image work happens.
const imageJobsHint = "image builds run as the job kinds image-build, image-validate, image-list and image-delete"

func packerRules(d *decoder, c *Config) {
	if c.Providers.Packer != nil || d.present["providers.packer"] != nil {
		return
	}
	d.errorf(d.present["deployment.provider"], "providers.packer", "add providers.packer: {cloud: aws} (aws, azure, gcp, oci or alibaba); "+imageJobsHint,
		"provider packer needs a providers.packer block naming the cloud")
}
