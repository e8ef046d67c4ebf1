concurrency = 2
provider "dokcer" {
  host = "unix:///var/run/docker.sock"
}
