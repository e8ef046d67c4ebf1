packer {
  required_version = ">= 1.6.0"
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "sindri-dev-${local.timestamp}"
}

source "alicloud-ecs" "sindri" {
  region                      = "cn-hangzhou"
  instance_type               = "ecs.g6.xlarge"
  source_image                = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
  image_name                  = local.image_name
  image_description           = "Sindri VM image sindri-dev"
  ssh_username                = "root"
  ssh_timeout                 = "20m"
  associate_public_ip_address = true
  internet_charge_type        = "PayByTraffic"
  system_disk_mapping {
    disk_size     = 80
    disk_category = "cloud_essd"
  }
  tags = {
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "sindri-dev"
    "sindri.dev/image-config" = "1505cd0e7ec1b958"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
  }
}

build {
  sources = ["source.alicloud-ecs.sindri"]

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
