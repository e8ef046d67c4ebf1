packer {
  required_version = ">= 1.6.0"
}

variable "gcp_project_id" {
  type    = string
  default = env("GCP_PROJECT_ID")
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "sindri-dev-${local.timestamp}"
}

source "googlecompute" "sindri" {
  project_id        = var.gcp_project_id
  zone              = "us-west1-a"
  machine_type      = "e2-standard-4"
  source_image      = "ubuntu-2204-jammy-v20240126"
  ssh_username      = "ubuntu"
  ssh_timeout       = "20m"
  disk_size         = 80
  disk_type         = "pd-standard"
  image_name        = local.image_name
  image_description = "Sindri VM image sindri-dev"
  image_labels = {
    sindri_dev_env          = "team-image"
    sindri_dev_image        = "sindri-dev"
    sindri_dev_image-config = "7939db4193472008"
    sindri_dev_managed-by   = "sindri-deploy"
    sindri_dev_repo         = "acme_app"
  }
  labels = {
    sindri_dev_env          = "team-image"
    sindri_dev_image        = "sindri-dev"
    sindri_dev_image-config = "7939db4193472008"
    sindri_dev_managed-by   = "sindri-deploy"
    sindri_dev_repo         = "acme_app"
  }
}

build {
  sources = ["source.googlecompute.sindri"]

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
