package vm

import (
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Base images: Ubuntu 22.04 LTS on every cloud, unless providers.packer.image_id names one.
const (
	awsUbuntuOwner   = "099720128093" // Canonical
	awsUbuntuName    = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"
	azurePublisher   = "Canonical"
	azureOffer       = "0001-com-ubuntu-server-jammy"
	azureSKU         = "22_04-lts-gen2"
	gcpImageFamily   = "ubuntu-2204-lts"
	gcpImageProject  = "ubuntu-os-cloud"
	ociOS            = "Canonical Ubuntu"
	ociOSVersion     = "22.04"
	alibabaImage     = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
	ociFlexOCPUs     = 2
	ociFlexMemoryGBs = 16
)

// communicator writes how packer connects to the builder instance.
func (r *render) communicator(b *hclwrite.Body) {
	setStr(b, "ssh_username", r.cloud.sshUser)
	setStr(b, "ssh_timeout", r.cfg.Build.SSHTimeout)
}

func (r *render) description() string {
	if r.cfg.Description != "" {
		return r.cfg.Description
	}
	return "Sindri VM image " + r.cfg.ImageName
}

func awsSource(r *render, b *hclwrite.Body) error {
	a := r.cfg.AWS
	if a == nil {
		return errNoCloud
	}
	shared := len(a.AMIUsers) > 0 || len(a.AMIGroups) > 0
	if deref(a.EncryptBoot) && shared {
		// encrypt_boot without kms_key_id uses the account's AWS-managed EBS key, whose
		// snapshots no other account can read: sharing fails after the whole build.
		return &RefusedError{Setting: "aws.encrypt_boot",
			Reason: "an AMI encrypted with the default EBS key cannot be shared (aws.ami_users or aws.ami_groups are set)",
			Hint:   "set aws.encrypt_boot: false to share the image, or remove ami_users and ami_groups"}
	}
	setStr(b, "region", a.Region)
	setStr(b, "instance_type", a.InstanceType)
	setRaw(b, "ami_name", "local.image_name")
	setStr(b, "ami_description", r.description())
	if r.cfg.ImageID != "" {
		setStr(b, "source_ami", r.cfg.ImageID)
	} else {
		f := b.AppendNewBlock("source_ami_filter", nil).Body()
		setMap(f, "filters", map[string]string{"name": awsUbuntuName, "root-device-type": "ebs", "virtualization-type": "hvm"})
		setList(f, "owners", []string{awsUbuntuOwner})
		setBool(f, "most_recent", true)
	}
	r.communicator(b)
	setStrIf(b, "vpc_id", a.VPCID)
	setStrIf(b, "subnet_id", a.SubnetID)
	setBool(b, "encrypt_boot", deref(a.EncryptBoot))
	setList(b, "ami_regions", a.AMIRegions)
	setList(b, "ami_users", a.AMIUsers)
	setList(b, "ami_groups", a.AMIGroups)
	d := b.AppendNewBlock("launch_block_device_mappings", nil).Body()
	setStr(d, "device_name", "/dev/sda1")
	setInt(d, "volume_size", deref(a.VolumeSize))
	setStr(d, "volume_type", a.VolumeType)
	switch a.VolumeType {
	case "gp3":
		// Packer 1.6.6 sends gp3 without AWS's defaults, which EC2 refuses: give the
		// baseline explicitly.
		setInt(d, "throughput", 125)
		setInt(d, "iops", 3000)
	case "io1", "io2":
		setInt(d, "iops", 3000)
	}
	setBool(d, "delete_on_termination", true)
	tags := r.tags()
	setMaps(b, tags, "tags", "run_tags", "snapshot_tags")
	return nil
}

func azureSource(r *render, b *hclwrite.Body) error {
	a := r.cfg.Azure
	if a == nil {
		return errNoCloud
	}
	setRaw(b, "client_id", r.envVar("azure_client_id", "AZURE_CLIENT_ID", false))
	setRaw(b, "client_secret", r.envVar("azure_client_secret", "AZURE_CLIENT_SECRET", true))
	setRaw(b, "tenant_id", r.envVar("azure_tenant_id", "AZURE_TENANT_ID", false))
	r.orEnv(b, "subscription_id", a.SubscriptionID, "azure_subscription_id", "AZURE_SUBSCRIPTION_ID", "")
	setStr(b, "location", a.Location)
	setStr(b, "vm_size", a.VMSize)
	setStr(b, "os_type", "Linux")
	if r.cfg.ImageID != "" {
		r.warnf("providers.packer.image_id is ignored on azure: the build starts from %s %s %s", azurePublisher, azureOffer, azureSKU)
	}
	setStr(b, "image_publisher", azurePublisher)
	setStr(b, "image_offer", azureOffer)
	setStr(b, "image_sku", azureSKU)
	setInt(b, "os_disk_size_gb", deref(a.OSDiskSizeGB))
	setRaw(b, "managed_image_name", "local.image_name")
	r.orEnv(b, "managed_image_resource_group_name", a.ResourceGroup, "azure_resource_group", "AZURE_RESOURCE_GROUP", "sindri-packer")
	// The image's storage type; storage_account_type is not a field of azure-arm.
	setStr(b, "managed_image_storage_account_type", a.StorageAccountType)
	r.communicator(b)
	if g := a.Gallery; g != nil {
		d := b.AppendNewBlock("shared_image_gallery_destination", nil).Body()
		d.SetAttributeRaw("resource_group", b.GetAttribute("managed_image_resource_group_name").Expr().BuildTokens(nil))
		setStr(d, "gallery_name", g.GalleryName)
		setStr(d, "image_name", g.ImageName)
		setStr(d, "image_version", g.ImageVersion)
		replicate := g.ReplicationRegions
		if len(replicate) == 0 {
			replicate = []string{a.Location}
		}
		setList(d, "replication_regions", replicate)
	}
	setMap(b, "azure_tags", sanitizeKeys(r.tags(), azureTagKey, "_"))
	return nil
}

func gcpSource(r *render, b *hclwrite.Body) error {
	g := r.cfg.GCP
	if g == nil {
		return errNoCloud
	}
	r.orEnv(b, "project_id", g.ProjectID, "gcp_project_id", "GCP_PROJECT_ID", "")
	setStr(b, "zone", g.Zone)
	setStr(b, "machine_type", g.MachineType)
	if r.cfg.ImageID != "" {
		setStr(b, "source_image", r.cfg.ImageID)
	} else {
		setStr(b, "source_image_family", gcpImageFamily)
		setList(b, "source_image_project_id", []string{gcpImageProject})
	}
	r.communicator(b)
	setInt(b, "disk_size", deref(g.DiskSize))
	setStr(b, "disk_type", g.DiskType)
	setRaw(b, "image_name", "local.image_name")
	setStr(b, "image_description", r.description())
	setStrIf(b, "image_family", g.ImageFamily)
	setStrIf(b, "network", g.Network)
	setStrIf(b, "subnetwork", g.Subnetwork)
	if deref(g.EnableSecureBoot) {
		setBool(b, "enable_secure_boot", true)
	}
	labels := sanitizeKeys(r.tags(), gcpLabelChar, "_")
	for k, v := range labels {
		labels[k] = gcpLabelValue(v)
	}
	setMaps(b, labels, "image_labels", "labels")
	return nil
}

func ociSource(r *render, b *hclwrite.Body) error {
	o := r.cfg.OCI
	if o == nil {
		return errNoCloud
	}
	flex := strings.HasSuffix(o.Shape, ".Flex")
	if flex && r.in.Mode == ModeLegacy {
		return &RefusedError{Setting: "oci.shape",
			Reason: "the Flex shape " + o.Shape + " needs shape_config, which the oracle-oci builder of Packer 1.6 does not have",
			Hint:   "choose a fixed shape such as VM.Standard2.1, or install Packer 1.7 or later on the executor"}
	}
	// The API key comes from the executor's OCI_* variables; left empty, the builder reads
	// ~/.oci/config instead.
	setRaw(b, "user_ocid", r.envVar("oci_user_ocid", "OCI_USER_OCID", false))
	setRaw(b, "tenancy_ocid", r.envVar("oci_tenancy_ocid", "OCI_TENANCY_OCID", false))
	setRaw(b, "fingerprint", r.envVar("oci_fingerprint", "OCI_FINGERPRINT", false))
	setRaw(b, "key_file", r.envVar("oci_key_file", "OCI_KEY_FILE", false))
	setRaw(b, "region", r.envVar("oci_region", "OCI_REGION", false))
	r.orEnv(b, "compartment_ocid", o.CompartmentOCID, "oci_compartment_ocid", "OCI_COMPARTMENT_OCID", "")
	setStr(b, "availability_domain", o.AvailabilityDomain)
	r.orEnv(b, "subnet_ocid", o.SubnetOCID, "oci_subnet_ocid", "OCI_SUBNET_OCID", "")
	setStr(b, "shape", o.Shape)
	if flex {
		sc := b.AppendNewBlock("shape_config", nil).Body()
		ocpus, mem := ociFlex(*o)
		setInt(sc, "ocpus", ocpus)
		setInt(sc, "memory_in_gbs", mem)
	} else if o.ShapeConfig != nil {
		r.warnf("providers.packer.oci.shape_config is ignored: %s is not a Flex shape", o.Shape)
	}
	if r.cfg.ImageID != "" {
		setStr(b, "base_image_ocid", r.cfg.ImageID)
	} else {
		f := b.AppendNewBlock("base_image_filter", nil).Body()
		setStr(f, "operating_system", ociOS)
		setStr(f, "operating_system_version", ociOSVersion)
	}
	setRaw(b, "image_name", "local.image_name")
	r.communicator(b)
	setInt(b, "disk_size", deref(o.BootVolumeSizeGB))
	// Freeform tags on the image are "tags" (not freeform_tags) in the oracle-oci builder.
	setMaps(b, r.tags(), "tags", "instance_tags")
	return nil
}

func alibabaSource(r *render, b *hclwrite.Body) error {
	a := r.cfg.Alibaba
	if a == nil {
		return errNoCloud
	}
	setStr(b, "region", a.Region)
	setStr(b, "instance_type", a.InstanceType)
	// Packer 1.6's alicloud-ecs has no image_owners or image_family lookup: the base image is
	// named outright.
	src := r.cfg.ImageID
	if src == "" {
		src = alibabaImage
	}
	setStr(b, "source_image", src)
	setRaw(b, "image_name", "local.image_name")
	setStr(b, "image_description", r.description())
	r.communicator(b)
	setBool(b, "associate_public_ip_address", true)
	setStr(b, "internet_charge_type", "PayByTraffic")
	setStrIf(b, "vswitch_id", a.VSwitchID)
	d := b.AppendNewBlock("system_disk_mapping", nil).Body()
	setInt(d, "disk_size", deref(a.SystemDiskSizeGB))
	setStr(d, "disk_category", a.SystemDiskCategory)
	setMap(b, "tags", r.tags())
	return nil
}

var (
	azureTagKey  = regexp.MustCompile(`[<>%&\\?/]`)
	gcpLabelChar = regexp.MustCompile(`[^a-z0-9_-]`)
)

// sanitizeKeys replaces every match of bad in m's keys with repl (sindri.dev/env becomes
// sindri.dev_env on Azure, sindri_dev_env on GCP), where the cloud refuses those characters.
func sanitizeKeys(m map[string]string, bad *regexp.Regexp, repl string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[bad.ReplaceAllString(strings.ToLower(k), repl)] = v
	}
	return out
}

// gcpLabelValue makes v a GCP label value: lowercase letters, digits, '_' and '-', at most 63.
func gcpLabelValue(v string) string {
	v = gcpLabelChar.ReplaceAllString(strings.ToLower(v), "_")
	if len(v) > 63 {
		v = v[:63]
	}
	return v
}
