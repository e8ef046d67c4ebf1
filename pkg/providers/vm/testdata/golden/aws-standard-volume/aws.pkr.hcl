packer {
  required_version = ">= 1.6.0"
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "sindri-dev-${local.timestamp}"
}

source "amazon-ebs" "sindri" {
  region          = "us-west-2"
  instance_type   = "t3.large"
  ami_name        = local.image_name
  ami_description = "Sindri VM image sindri-dev"
  source_ami_filter {
    filters = {
      name                = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["099720128093"]
    most_recent = true
  }
  ssh_username = "ubuntu"
  ssh_timeout  = "20m"
  encrypt_boot = true
  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 80
    volume_type           = "standard"
    delete_on_termination = true
  }
  tags = {
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "sindri-dev"
    "sindri.dev/image-config" = "ed075691d49d6fb6"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
  }
  run_tags = {
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "sindri-dev"
    "sindri.dev/image-config" = "ed075691d49d6fb6"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
  }
  snapshot_tags = {
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "sindri-dev"
    "sindri.dev/image-config" = "ed075691d49d6fb6"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
  }
}

build {
  sources = ["source.amazon-ebs.sindri"]

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
