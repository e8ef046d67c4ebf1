packer {
  required_version = ">= 1.6.0"
}

variable "oci_user_ocid" {
  type    = string
  default = env("OCI_USER_OCID")
}

variable "oci_tenancy_ocid" {
  type    = string
  default = env("OCI_TENANCY_OCID")
}

variable "oci_fingerprint" {
  type    = string
  default = env("OCI_FINGERPRINT")
}

variable "oci_key_file" {
  type    = string
  default = env("OCI_KEY_FILE")
}

variable "oci_region" {
  type    = string
  default = env("OCI_REGION")
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "team-image-${local.timestamp}"
}

source "oracle-oci" "sindri" {
  user_ocid           = var.oci_user_ocid
  tenancy_ocid        = var.oci_tenancy_ocid
  fingerprint         = var.oci_fingerprint
  key_file            = var.oci_key_file
  region              = var.oci_region
  compartment_ocid    = "ocid1.compartment.oc1..mine"
  availability_domain = "Uocm:PHX-AD-2"
  subnet_ocid         = "ocid1.subnet.oc1..mine"
  shape               = "VM.Standard2.2"
  base_image_ocid     = "ocid1.image.oc1..base"
  image_name          = local.image_name
  ssh_username        = "ubuntu"
  ssh_timeout         = "45m"
  disk_size           = 100
  tags = {
    cost-center               = "42"
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "team-image"
    "sindri.dev/image-config" = "24b24a9ae72e99ba"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
    team                      = "platform"
  }
  instance_tags = {
    cost-center               = "42"
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "team-image"
    "sindri.dev/image-config" = "24b24a9ae72e99ba"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
    team                      = "platform"
  }
}

build {
  sources = ["source.oracle-oci.sindri"]

  provisioner "shell" {
    execute_command  = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E bash '{{ .Path }}'"
    scripts          = ["${path.root}/scripts/init.sh", "${path.root}/scripts/install-sindri.sh", "${path.root}/scripts/security-hardening.sh", "${path.root}/scripts/cleanup.sh"]
    environment_vars = ["CIS_HARDENING=true", "CLEAN_SENSITIVE_DATA=false", "HTTP_PROXY=http://proxy.internal:3128", "LITERAL=$${not_an_interpolation}", "OPENSCAP_SCAN=true", "REMOVE_SSH_KEYS=false", "SINDRI_CACHE=false", "SINDRI_EXTENSIONS=docker nodejs", "SINDRI_PROFILE=fullstack", "SINDRI_VERSION=3.1.0"]
  }

  post-processor "manifest" {
    output     = "${path.root}/manifest.json"
    strip_path = true
    custom_data = {
      image_name = local.image_name
    }
  }
}
