provider "docker" {
  host = ["a", "b"]
}
