provider "docker" {
  host = "unix:///var/run/docker.sock"
  bind = "0.0.0.0"
}
