package docker

import (
	"errors"
	"strings"
	"testing"
)

func TestAuthForPicksCredentialsByRegistry(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		image      string
		secrets    map[string]string
		wantSource string
		wantUser   string
		wantNote   string
	}{
		{name: "anonymous", image: "ghcr.io/o/i:1"},
		{name: "docker credentials for the image's registry", image: "ghcr.io/o/i:1",
			secrets:    map[string]string{"DOCKER_USERNAME": "u", "DOCKER_PASSWORD": "p", "GITHUB_TOKEN": "t"},
			wantSource: "DOCKER_USERNAME/DOCKER_PASSWORD", wantUser: "u"},
		{name: "github token for ghcr.io", image: "ghcr.io/o/i:1",
			secrets:    map[string]string{"GITHUB_TOKEN": "t"},
			wantSource: "GITHUB_TOKEN", wantUser: "token"},
		{name: "github token not sent elsewhere", image: "registry.example.com/o/i:1",
			secrets: map[string]string{"GITHUB_TOKEN": "t"}},
		{name: "docker hub name", image: "pacphi/sindri:3",
			secrets:    map[string]string{"DOCKER_USERNAME": "u", "DOCKER_PASSWORD": "p", "DOCKER_REGISTRY": "https://index.docker.io/v1/"},
			wantSource: "DOCKER_USERNAME/DOCKER_PASSWORD", wantUser: "u"},
		{name: "DOCKER_REGISTRY names another registry", image: "ghcr.io/o/i:1",
			secrets:  map[string]string{"DOCKER_USERNAME": "u", "DOCKER_PASSWORD": "p", "DOCKER_REGISTRY": "quay.io"},
			wantNote: "not sent"},
		{name: "DOCKER_REGISTRY elsewhere, token for ghcr.io", image: "ghcr.io/o/i:1",
			secrets:    map[string]string{"DOCKER_USERNAME": "u", "DOCKER_PASSWORD": "p", "DOCKER_REGISTRY": "quay.io", "GITHUB_TOKEN": "t"},
			wantSource: "GITHUB_TOKEN", wantUser: "token", wantNote: "not sent"},
		{name: "password without user", image: "ghcr.io/o/i:1",
			secrets: map[string]string{"DOCKER_PASSWORD": "p"}, wantNote: "only one of"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &desired{}
			for k, v := range tc.secrets {
				d.secrets = append(d.secrets, envSecret{Name: k, value: v})
			}
			host, err := registryHost(tc.image)
			if err != nil {
				t.Fatal(err)
			}
			got, note := d.authFor(host)
			if got.source != tc.wantSource || got.username != tc.wantUser {
				t.Errorf("authFor(%s) = source %q user %q, want %q %q", host, got.source, got.username, tc.wantSource, tc.wantUser)
			}
			if (tc.wantNote == "") != (note == "") || !strings.Contains(note, tc.wantNote) {
				t.Errorf("note = %q, want one containing %q", note, tc.wantNote)
			}
			for _, v := range tc.secrets {
				if len(v) > 1 && strings.Contains(note, v) {
					t.Errorf("note %q contains a secret value", note)
				}
			}
		})
	}
}

// Engine pull errors (Docker 20.10 returns them untyped) are classified by their text: a
// registry whose name does not resolve is a permanent, clear error rather than minutes of
// retries; a refused connection or a 5xx stays transient.
func TestClassifyPullMessages(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]pullFailure{
		`Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host`: pullFailNoHost,
		`Get "https://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`:                      pullFailUnreachable,
		`received unexpected HTTP status: 503 Service Unavailable`:                                                    pullFailUnreachable,
		`manifest for ghcr.io/a/b:9 not found: manifest unknown`:                                                      pullFailNotFound,
		`pull access denied for a/b, repository does not exist or may require 'docker login'`:                         pullFailNotFound,
		`unauthorized: authentication required`:                                                                       pullFailAuth,
		`denied: requested access to the resource is denied`:                                                          pullFailAuth,
		`failed to register layer: open /var/lib/docker/x: permission denied`:                                         pullFailOther,
	} {
		if got := classifyPull(errors.New(msg)); got != want {
			t.Errorf("classifyPull(%q) = %v, want %v", msg, got, want)
		}
	}
}
