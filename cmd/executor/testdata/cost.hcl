cost {
  max_hourly_per_env  = 2.5
  max_hourly_per_repo = 10
  allowed_regions     = ["iad", "sjc"]
  allowed_gpus        = { "NVIDIA L4" = 2, "a100-40" = 1 }

  price "kubernetes" {
    hourly         = 0.4
    stopped_hourly = 0.01
  }

  repository "acme/*" {
    providers = ["docker", "fly"]
  }
}
