package docker

import (
	"net"
	"os"
)

// InSeparateNetwork guesses whether this process runs inside a Docker container with its own
// network namespace (the default for container actions): /.dockerenv exists and the engine
// host's docker0 bridge is not among the visible interfaces (it is with --network host). The
// result is a default for Config.SeparateNetwork; callers let the user override it.
func InSeparateNetwork() bool {
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return false
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return true
	}
	for _, i := range ifaces {
		if i.Name == "docker0" {
			return false
		}
	}
	return true
}
