# Every setting, as in docs/executor.md.
nats {
  url   = "nats://a:4222,nats://b:4222"
  creds = "/etc/sindri/executor.creds"
  tls {
    ca = "/etc/sindri/ca.pem"
  }
}
concurrency    = 8
providers      = ["docker", "fly"]
allowed_repos  = ["sindri/*", "acme/app"]
trusted_signers = ["UAXMFNHEYRPX4OLEKA2RVXXFQB32V5A3WN5PHVVMVAZ6W2JDEU3CHUGI"]
signing_key_file = "testdata/signing.nk"
reaper {
  interval    = "15m"
  default_ttl = "48h"
}
metrics_listen = "127.0.0.1:9191"
drain_timeout  = "45s"
lease_ttl      = "20s"
max_deliver    = 5
log_level      = "debug"
events_max_age = "336h"
events_max_bytes = "2GiB"
jobs_duplicate_window = "30m"
provider "docker" {
  host             = "tcp://docker.internal:2376"
  cert_path        = "/etc/sindri/docker-certs"
  tls_verify       = true
  bind_address     = "0.0.0.0"
}
