packer {
  required_version = ">= 1.6.0"
  required_plugins {
    azure = {
      version = ">= 1.4.0"
      source  = "github.com/hashicorp/azure"
    }
  }
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

variable "azure_subscription_id" {
  type    = string
  default = env("AZURE_SUBSCRIPTION_ID")
}

variable "azure_resource_group" {
  type    = string
  default = env("AZURE_RESOURCE_GROUP")
}

locals {
  timestamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  image_name = "sindri-dev-${local.timestamp}"
}

source "azure-arm" "sindri" {
  client_id                          = var.azure_client_id
  client_secret                      = var.azure_client_secret
  tenant_id                          = var.azure_tenant_id
  subscription_id                    = var.azure_subscription_id
  location                           = "westus2"
  vm_size                            = "Standard_D4s_v4"
  os_type                            = "Linux"
  image_publisher                    = "Canonical"
  image_offer                        = "0001-com-ubuntu-server-jammy"
  image_sku                          = "22_04-lts-gen2"
  os_disk_size_gb                    = 80
  managed_image_name                 = local.image_name
  managed_image_resource_group_name  = var.azure_resource_group != "" ? var.azure_resource_group : "sindri-packer"
  managed_image_storage_account_type = "Premium_LRS"
  ssh_username                       = "packer"
  ssh_timeout                        = "20m"
  azure_tags = {
    "sindri.dev_env"          = "team-image"
    "sindri.dev_image"        = "sindri-dev"
    "sindri.dev_image-config" = "52b3a39c0630114d"
    "sindri.dev_managed-by"   = "sindri-deploy"
    "sindri.dev_repo"         = "acme/app"
  }
}

build {
  sources = ["source.azure-arm.sindri"]

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
