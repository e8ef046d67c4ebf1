package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// guideDir holds the repository copy of the provider guide's examples (the workplace's
// shared/fixtures/guide-examples; TestSharedCopyInSync keeps them equal).
const guideDir = "../../testdata/shared/fixtures/guide-examples"

func TestGuideExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(guideDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("guide examples missing at %s (err %v)", guideDir, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			c, diags, err := LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if c == nil {
				t.Fatalf("refused, want accepted:\n%s", render(diags.Errors()))
			}
		})
	}
}

func TestGuidePackerExample(t *testing.T) {
	t.Parallel()
	c, diags, err := LoadFile(filepath.Join(guideDir, "packer.sindri.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c == nil || len(diags) != 0 {
		t.Fatalf("config %v, diagnostics:\n%s", c != nil, render(diags))
	}
	p := c.Providers.Packer
	if c.ProviderName() != ProviderPacker || p.Cloud != CloudAWS || p.Build.Profile != "fullstack" || p.AWS == nil || p.AWS.Region != "us-west-2" {
		t.Fatalf("packer = %+v aws %+v", p, p.AWS)
	}
	if c.Deployment.Image != "" || c.Deployment.Resources.CPUs != nil || c.Deployment.Volumes.Workspace != nil {
		t.Errorf("container defaults applied to a packer config: %+v", c.Deployment)
	}
}

// packerBase is a valid packer config; cases append keys under providers.packer (line 8 on).
const packerBase = `version: "3.0"
name: demo
deployment:
  provider: packer
extensions:
  profile: minimal
providers:
  packer:
`

// packerRuleCases run in TestRules with the other rule cases.
var packerRuleCases = []ruleCase{
	{"cloud required", packerBase + "    image_name: x\n", "providers.packer.cloud", 9, 5, SeverityError, `required key "cloud" is missing`},
	{"cloud unknown", packerBase + "    cloud: ibm\n", "providers.packer.cloud", 9, 12, SeverityError, `unknown cloud "ibm"`},
	{"cloud casing", packerBase + "    cloud: AWS\n", "providers.packer.cloud", 9, 12, SeverityError, `use "aws"`},
	{"template in description", packerBase + "    cloud: aws\n    description: \"built {{timestamp}}\"\n", "providers.packer.description", 10, 18, SeverityError, `contains "{{"`},
	{"template in tag value", packerBase + "    cloud: aws\n    tags: {team: \"{{user `x`}}\"}\n", "providers.packer.tags.team", 10, 18, SeverityError, `contains "{{"`},
	{"template in tag key", packerBase + "    cloud: aws\n    tags: {\"{{x}}\": a}\n", "providers.packer.tags.{{x}}", 10, 12, SeverityError, `contains "{{"`},
	{"template in environment", packerBase + "    cloud: aws\n    build:\n      environment: {A: \"{{env `HOME`}}\"}\n", "providers.packer.build.environment.A", 11, 24, SeverityError, `contains "{{"`},
	{"template in file upload", packerBase + "    cloud: aws\n    build:\n      file_uploads:\n        - {source: a, destination: \"/{{x}}\"}\n", "providers.packer.build.file_uploads[0].destination", 12, 36, SeverityError, `contains "{{"`},
	{"template in extension", packerBase + "    cloud: aws\n    build: {extensions: [git, \"{{x}}\"]}\n", "providers.packer.build.extensions[1]", 10, 31, SeverityError, `contains "{{"`},
	{"template in short region", packerBase + "    cloud: aws\n    region: \"{{x}}\"\n", "providers.packer.region", 10, 13, SeverityError, `contains "{{"`},
	{"template in cloud block", packerBase + "    cloud: gcp\n    gcp: {network: \"{{x}}\"}\n", "providers.packer.gcp.network", 10, 20, SeverityError, `contains "{{"`},
	{"image name too long", packerBase + "    cloud: aws\n    image_name: " + strings.Repeat("a", 49) + "\n", "providers.packer.image_name", 10, 17, SeverityError, "too long (49 characters, at most 48)"},
	{"image name uppercase", packerBase + "    cloud: aws\n    image_name: Sindri\n", "providers.packer.image_name", 10, 17, SeverityError, "not an image name every cloud accepts"},
	{"image name trailing dash", packerBase + "    cloud: aws\n    image_name: sindri-\n", "providers.packer.image_name", 10, 17, SeverityError, "not an image name every cloud accepts"},
	{"file upload needs destination", packerBase + "    cloud: aws\n    build:\n      file_uploads: [{source: a}]\n", "providers.packer.build.file_uploads[0].destination", 11, 22, SeverityError, `required key "destination" is missing`},
	{"ssh timeout", packerBase + "    cloud: aws\n    build: {ssh_timeout: 20}\n", "providers.packer.build.ssh_timeout", 10, 26, SeverityError, "expected a string"},
	{"ssh timeout form", packerBase + "    cloud: aws\n    build: {ssh_timeout: 20 minutes}\n", "providers.packer.build.ssh_timeout", 10, 26, SeverityError, "is not a duration"},
	{"profile unknown", packerBase + "    cloud: aws\n    profile: ai-dev\n", "providers.packer.profile", 10, 14, SeverityError, `unknown extension profile "ai-dev"`},
	{"profile twice", packerBase + "    cloud: aws\n    profile: minimal\n    build: {profile: devops}\n", "providers.packer.profile", 10, 5, SeverityError, "profile and build.profile are the same setting"},
	{"region twice", packerBase + "    cloud: azure\n    region: eastus\n    azure: {location: westus}\n", "providers.packer.region", 10, 5, SeverityError, "region and azure.location are the same setting"},
	{"gcp region is not a zone", packerBase + "    cloud: gcp\n    region: us-west1\n", "providers.packer.region", 10, 13, SeverityError, "is a GCP region"},
	{"oci region has no effect", packerBase + "    cloud: oci\n    region: us-ashburn-1\n    oci: {availability_domain: \"Uocm:PHX-AD-1\"}\n", "providers.packer.region", 10, 5, SeverityWarning, "region has no effect with cloud oci"},
	{"oci needs its block", packerBase + "    cloud: oci\n", "providers.packer.oci", 9, 5, SeverityError, `required key "oci" is missing`},
	{"oci private key as authorized key", packerBase + "    cloud: oci\n    oci: {availability_domain: \"Uocm:PHX-AD-1\", ssh_authorized_keys: \"-----BEGIN OPENSSH PRIVATE KEY-----\"}\n", "providers.packer.oci.ssh_authorized_keys", 10, 70, SeverityError, "holds a private key"},
	{"alibaba security group id", packerBase + "    cloud: alibaba\n    alibaba: {security_group_id: group-1}\n", "providers.packer.alibaba.security_group_id", 10, 34, SeverityError, "an ECS security group id"},
	{"oci needs availability domain", packerBase + "    cloud: oracle\n    oci: {shape: VM.Standard.E4.Flex}\n", "providers.packer.oci.availability_domain", 10, 10, SeverityError, `required key "availability_domain" is missing`},
	{"other cloud block ignored", packerBase + "    cloud: aws\n    gcp: {zone: us-west1-a}\n", "providers.packer.gcp", 10, 5, SeverityWarning, "providers.packer.gcp is ignored: cloud is aws"},
	{"azure gallery version", packerBase + "    cloud: azure\n    azure:\n      gallery: {gallery_name: g, image_name: i, image_version: v1}\n", "providers.packer.azure.gallery.image_version", 11, 64, SeverityError, "not a gallery image version"},
	{"aws volume type", packerBase + "    cloud: aws\n    aws: {volume_type: st1}\n", "providers.packer.aws.volume_type", 10, 24, SeverityError, `unknown volume type "st1"`},
	{"resources have no effect", strings.Replace(packerBase, "  provider: packer\n", "  provider: packer\n  resources: {memory: 8GB}\n", 1) + "    cloud: aws\n", "deployment.resources", 5, 3, SeverityWarning, "resources has no effect with provider packer"},
	{"unknown key", packerBase + "    cloud: aws\n    instance_type: t3.large\n", "providers.packer.instance_type", 10, 5, SeverityWarning, `unknown key "instance_type"`},
	{"vm is not a provider", strings.Replace(packerBase, "provider: packer", "provider: vm", 1) + "    cloud: aws\n", "deployment.provider", 4, 13, SeverityError, "image-build, image-validate, image-list and image-delete"},
}

func init() { ruleCases = append(ruleCases, packerRuleCases...) }

func TestPackerAccepted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml string
		check      func(t *testing.T, p *PackerConfig)
	}{
		{"aws defaults", "    cloud: amazon\n", func(t *testing.T, p *PackerConfig) {
			a := p.AWS
			if p.Cloud != CloudAWS || a.Region != "us-west-2" || a.InstanceType != "t3.large" || *a.VolumeSize != 80 || a.VolumeType != "gp3" || !*a.EncryptBoot {
				t.Errorf("aws = %+v", a)
			}
			b := p.Build
			if p.ImageName != "sindri-dev" || b.SindriVersion != "latest" || !*b.Cache || b.SSHTimeout != "20m" || *b.ParallelBuilds != 0 ||
				*b.Security.CISHardening || *b.Security.OpenSCAPScan || !*b.Security.CleanSensitiveData || !*b.Security.RemoveSSHKeys {
				t.Errorf("defaults = %+v security %+v", p, b.Security)
			}
			if p.Azure != nil || p.GCP != nil || p.OCI != nil || p.Alibaba != nil {
				t.Error("blocks of other clouds were created")
			}
		}},
		{"aws instance settings", "    cloud: aws\n    aws: {key_name: dev-key, security_group_ids: [sg-0123456789abcdef0]}\n", func(t *testing.T, p *PackerConfig) {
			if a := p.AWS; a.KeyName != "dev-key" || len(a.SecurityGroupIDs) != 1 || a.SecurityGroupIDs[0] != "sg-0123456789abcdef0" {
				t.Errorf("aws = %+v", a)
			}
		}},
		{"azure without ids (environment fallback)", "    cloud: microsoft\n    region: eastus\n", func(t *testing.T, p *PackerConfig) {
			a := p.Azure
			if p.Cloud != CloudAzure || a.Location != "eastus" || a.SubscriptionID != "" || a.VMSize != "Standard_D4s_v4" || *a.OSDiskSizeGB != 80 || a.StorageAccountType != "Premium_LRS" {
				t.Errorf("azure = %+v", a)
			}
		}},
		{"azure gallery version default", "    cloud: azure\n    azure: {gallery: {gallery_name: g, image_name: i}}\n", func(t *testing.T, p *PackerConfig) {
			if g := p.Azure.Gallery; g.ImageVersion != "1.0.0" {
				t.Errorf("gallery = %+v", g)
			}
		}},
		{"gcp zone from region, no project (environment fallback)", "    cloud: google\n    region: europe-west4-b\n", func(t *testing.T, p *PackerConfig) {
			g := p.GCP
			if p.Cloud != CloudGCP || g.Zone != "europe-west4-b" || g.MachineType != "e2-standard-4" || *g.DiskSize != 80 || g.DiskType != "pd-ssd" || *g.EnableSecureBoot {
				t.Errorf("gcp = %+v", g)
			}
		}},
		{"oci", "    cloud: oci\n    oci:\n      availability_domain: \"Uocm:PHX-AD-1\"\n      shape_config: {ocpus: 2, memory_in_gbs: 16}\n      ssh_authorized_keys: \"ssh-ed25519 AAAAC3Nza dev@example\"\n", func(t *testing.T, p *PackerConfig) {
			o := p.OCI
			if o.Shape != "VM.Standard.E4.Flex" || *o.BootVolumeSizeGB != 80 || *o.ShapeConfig.OCPUs != 2 || o.CompartmentOCID != "" ||
				o.SSHAuthorizedKeys != "ssh-ed25519 AAAAC3Nza dev@example" {
				t.Errorf("oci = %+v", o)
			}
		}},
		{"alibaba", "    cloud: alicloud\n    region: cn-shanghai\n    alibaba: {security_group_id: sg-bp1a2b3c4d5e6f7g8h9i, key_pair_name: dev}\n", func(t *testing.T, p *PackerConfig) {
			a := p.Alibaba
			if p.Cloud != CloudAlibaba || a.Region != "cn-shanghai" || a.InstanceType != "ecs.g6.xlarge" || *a.SystemDiskSizeGB != 80 || a.SystemDiskCategory != "cloud_essd" ||
				a.SecurityGroupID != "sg-bp1a2b3c4d5e6f7g8h9i" || a.KeyPairName != "dev" {
				t.Errorf("alibaba = %+v", a)
			}
		}},
		{"full build block", "    cloud: aws\n    image_name: " + strings.Repeat("a", MaxImageNameLength) + "\n    tags: {team: platform}\n    build:\n      extensions: [git, nodejs]\n      sindri_version: 3.1.3\n      cache: false\n      security: {cis_hardening: true}\n      scripts: [scripts/extra.sh]\n      environment: {FOO: bar}\n      file_uploads: [{source: a, destination: /tmp/a}]\n      parallel_builds: 2\n      ssh_timeout: 1h\n", func(t *testing.T, p *PackerConfig) {
			b := p.Build
			if !slices.Equal(b.Extensions, []string{"git", "nodejs"}) || b.SindriVersion != "3.1.3" || *b.Cache || !*b.Security.CISHardening ||
				!*b.Security.RemoveSSHKeys || b.Environment["FOO"] != "bar" || b.FileUploads[0].Destination != "/tmp/a" || *b.ParallelBuilds != 2 ||
				b.SSHTimeout != "1h" || p.Tags["team"] != "platform" {
				t.Errorf("build = %+v", b)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, diags := Load("sindri.yaml", []byte(packerBase+tc.yaml))
			if c == nil {
				t.Fatalf("refused:\n%s", render(diags))
			}
			if len(diags) != 0 {
				t.Errorf("diagnostics:\n%s", render(diags))
			}
			tc.check(t, c.Providers.Packer)
		})
	}
}
