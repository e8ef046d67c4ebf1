packer {
  required_version = ">= 1.6.0"
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "team-image-${local.timestamp}"
}

source "amazon-ebs" "sindri" {
  region          = "eu-west-1"
  instance_type   = "m6i.large"
  ami_name        = local.image_name
  ami_description = "Team image"
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
  ssh_timeout  = "45m"
  vpc_id       = "vpc-0abc"
  subnet_id    = "subnet-0abc"
  encrypt_boot = false
  ami_regions  = ["eu-central-1", "us-east-1"]
  ami_users    = ["123456789012"]
  ami_groups   = ["all"]
  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 120
    volume_type           = "gp2"
    delete_on_termination = true
  }
  tags = {
    cost-center               = "42"
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "team-image"
    "sindri.dev/image-config" = "5063e7924f968a70"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
    team                      = "platform"
  }
  run_tags = {
    cost-center               = "42"
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "team-image"
    "sindri.dev/image-config" = "5063e7924f968a70"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
    team                      = "platform"
  }
  snapshot_tags = {
    cost-center               = "42"
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "team-image"
    "sindri.dev/image-config" = "5063e7924f968a70"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
    team                      = "platform"
  }
}

build {
  sources = ["source.amazon-ebs.sindri"]

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
