packer {
  required_version = ">= 1.6.0"
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "team-image-${local.timestamp}"
}

source "alicloud-ecs" "sindri" {
  region                      = "cn-shanghai"
  instance_type               = "ecs.g7.large"
  source_image                = "m-base-image"
  image_name                  = local.image_name
  image_description           = "Team image"
  ssh_username                = "root"
  ssh_timeout                 = "45m"
  associate_public_ip_address = true
  internet_charge_type        = "PayByTraffic"
  vswitch_id                  = "vsw-0abc"
  system_disk_mapping {
    disk_size     = 40
    disk_category = "cloud_ssd"
  }
  tags = {
    cost-center               = "42"
    "sindri.dev/env"          = "team-image"
    "sindri.dev/image"        = "team-image"
    "sindri.dev/image-config" = "a86966909a566e77"
    "sindri.dev/managed-by"   = "sindri-deploy"
    "sindri.dev/repo"         = "acme/app"
    team                      = "platform"
  }
}

build {
  sources = ["source.alicloud-ecs.sindri"]

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
