providers = "docker"
