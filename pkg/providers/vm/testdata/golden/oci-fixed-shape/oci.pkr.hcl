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

variable "oci_compartment_ocid" {
  type    = string
  default = env("OCI_COMPARTMENT_OCID")
}

variable "oci_subnet_ocid" {
  type    = string
  default = env("OCI_SUBNET_OCID")
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "sindri-dev-${local.timestamp}"
}

source "oracle-oci" "sindri" {
  user_ocid           = var.oci_user_ocid
  tenancy_ocid        = var.oci_tenancy_ocid
  fingerprint         = var.oci_fingerprint
  key_file            = var.oci_key_file
  region              = var.oci_region
  compartment_ocid    = var.oci_compartment_ocid
  availability_domain = "Uocm:PHX-AD-1"
  subnet_ocid         = var.oci_subnet_ocid
  shape               = "VM.Standard2.1"
  base_image_filter {
    operating_system         = "Canonical Ubuntu"
    operating_system_version = "22.04"
  }
  image_name   = local.image_name
  ssh_username = "ubuntu"
  ssh_timeout  = "20m"
  disk_size    = 80
  tags = {
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "sindri-dev"
    "sindri.dev/image-config" = "92ed405ae8fce836"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
  }
  instance_tags = {
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "sindri-dev"
    "sindri.dev/image-config" = "92ed405ae8fce836"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
  }
}

build {
  sources = ["source.oracle-oci.sindri"]

  provisioner "shell" {
    execute_command  = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E bash '{{ .Path }}'"
    scripts          = ["${path.root}/scripts/init.sh", "${path.root}/scripts/install-sindri.sh", "${path.root}/scripts/cleanup.sh"]
    environment_vars = ["CIS_HARDENING=false", "CLEAN_SENSITIVE_DATA=true", "OPENSCAP_SCAN=false", "REMOVE_SSH_KEYS=true", "SINDRI_CACHE=true", "SINDRI_EXTENSIONS=", "SINDRI_PROFILE=", "SINDRI_VERSION=latest"]
  }

  post-processor "manifest" {
    output     = "${path.root}/manifest.json"
    strip_path = true
    custom_data = {
      image_name = local.image_name
    }
  }
}
