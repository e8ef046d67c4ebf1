cost {
  max_hourly_per_env = -1
  allowed_gpus       = { "NVIDIA L4" = -2 }
}
