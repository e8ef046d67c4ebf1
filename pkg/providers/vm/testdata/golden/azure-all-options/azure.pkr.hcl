packer {
  required_version = ">= 1.6.0"
}

variable "azure_client_id" {
  type    = string
  default = env("AZURE_CLIENT_ID")
}

variable "azure_client_secret" {
  type      = string
  default   = env("AZURE_CLIENT_SECRET")
  sensitive = true
}

variable "azure_tenant_id" {
  type    = string
  default = env("AZURE_TENANT_ID")
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "team-image-${local.timestamp}"
}

source "azure-arm" "sindri" {
  client_id                          = var.azure_client_id
  client_secret                      = var.azure_client_secret
  tenant_id                          = var.azure_tenant_id
  subscription_id                    = "11111111-1111-1111-1111-111111111111"
  location                           = "northeurope"
  vm_size                            = "Standard_D2s_v5"
  os_type                            = "Linux"
  image_publisher                    = "Canonical"
  image_offer                        = "0001-com-ubuntu-server-jammy"
  image_sku                          = "22_04-lts-gen2"
  os_disk_size_gb                    = 64
  managed_image_name                 = local.image_name
  managed_image_resource_group_name  = "images-rg"
  managed_image_storage_account_type = "Standard_LRS"
  ssh_username                       = "packer"
  ssh_timeout                        = "45m"
  shared_image_gallery_destination {
    resource_group      = "images-rg"
    gallery_name        = "sindri_gallery"
    image_name          = "sindri-dev"
    image_version       = "2.3.4"
    replication_regions = ["northeurope", "westeurope"]
  }
  azure_tags = {
    cost-center               = "42"
    "sindri.dev_env"          = "team-image"
    "sindri.dev_image"        = "team-image"
    "sindri.dev_image-config" = "d0288fa81c5ad982"
    "sindri.dev_managed-by"   = "sindri-deploy"
    "sindri.dev_repo"         = "acme/app"
    team                      = "platform"
  }
}

build {
  sources = ["source.azure-arm.sindri"]

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
