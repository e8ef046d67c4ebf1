// Package registry lists image tags over the OCI distribution API (GET /v2/<name>/tags/list),
// with the bearer-token challenge registries such as ghcr.io and Docker Hub use, Link
// pagination, and bounded retries. It is the tag lister behind image_config.version.
package registry

import (
	"fmt"
	"strings"
)

// Docker Hub names: images are written docker.io/..., the API answers on registry-1.docker.io.
const (
	DockerHub    = "docker.io"
	dockerHubAPI = "registry-1.docker.io"
	GHCR         = "ghcr.io"
)

// Repository is where an image's tags are listed.
type Repository struct {
	// Host is the registry as images name it (ghcr.io, docker.io, registry.example.com:5000).
	Host string
	// APIHost is the host that serves the distribution API (registry-1.docker.io for docker.io).
	APIHost string
	// Name is the repository path (pacphi/sindri, library/ubuntu).
	Name string
}

// String returns host/name.
func (r Repository) String() string { return r.Host + "/" + r.Name }

// ParseRepository splits an image_config.registry value ("ghcr.io/pacphi/sindri") into its
// registry host and repository, as contract §1.3.2 does: ghcr.io when the first segment is
// ghcr.io, Docker Hub when it is docker.io (or index.docker.io, registry-1.docker.io), else the
// first segment. Unlike upstream, a value whose first segment cannot be a host (no '.' or ':',
// not localhost — "pacphi/sindri") is a Docker Hub repository, as docker pull reads it, and a
// one-segment Docker Hub name gets the library/ prefix. A tag or digest on the value is refused.
func ParseRepository(image string) (Repository, error) {
	s := strings.TrimSpace(image)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	if s == "" {
		return Repository{}, fmt.Errorf("registry: empty image repository")
	}
	if strings.Contains(s, "@") {
		return Repository{}, fmt.Errorf("registry: %q: name the repository without a digest", image)
	}
	first, rest, hasSlash := strings.Cut(s, "/")
	var r Repository
	switch {
	case !hasSlash || !isHost(first):
		r = Repository{Host: DockerHub, Name: s}
	default:
		r = Repository{Host: strings.ToLower(first), Name: rest}
	}
	switch r.Host {
	case DockerHub, "index.docker.io", dockerHubAPI:
		r.Host, r.APIHost = DockerHub, dockerHubAPI
		if !strings.Contains(r.Name, "/") {
			r.Name = "library/" + r.Name
		}
	default:
		r.APIHost = r.Host
	}
	if strings.Contains(r.Name, ":") {
		return Repository{}, fmt.Errorf("registry: %q: name the repository without a tag", image)
	}
	if r.Name == "" || r.Name != strings.ToLower(r.Name) || strings.Contains(r.Name, "//") {
		return Repository{}, fmt.Errorf("registry: %q: repository name must be lowercase path segments", image)
	}
	return r, nil
}

func isHost(seg string) bool {
	return strings.ContainsAny(seg, ".:") || seg == "localhost"
}
