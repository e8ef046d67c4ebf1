packer {
  required_version = ">= 1.6.0"
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "team-image-${local.timestamp}"
}

source "googlecompute" "sindri" {
  project_id              = "my-project"
  zone                    = "europe-west4-b"
  machine_type            = "n2-standard-4"
  source_image_family     = "ubuntu-2204-lts"
  source_image_project_id = ["ubuntu-os-cloud"]
  ssh_username            = "ubuntu"
  ssh_timeout             = "45m"
  disk_size               = 50
  disk_type               = "pd-balanced"
  image_name              = local.image_name
  image_description       = "Team image"
  image_family            = "sindri"
  network                 = "default"
  subnetwork              = "build-subnet"
  enable_secure_boot      = true
  image_labels = {
    cost-center             = "42"
    sindri_dev_env          = "team-image"
    sindri_dev_image        = "team-image"
    sindri_dev_image-config = "21ca0d1a944c2250"
    sindri_dev_managed-by   = "sindri-deploy"
    sindri_dev_repo         = "acme_app"
    team                    = "platform"
  }
  labels = {
    cost-center             = "42"
    sindri_dev_env          = "team-image"
    sindri_dev_image        = "team-image"
    sindri_dev_image-config = "21ca0d1a944c2250"
    sindri_dev_managed-by   = "sindri-deploy"
    sindri_dev_repo         = "acme_app"
    team                    = "platform"
  }
}

build {
  sources = ["source.googlecompute.sindri"]

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
