provider "docker" {
  separate_network = "maybe"
}
