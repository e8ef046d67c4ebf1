package docker_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/connectgolden"
)

// TestConnectCommentGolden deploys to the real engine and pins the PR comment's connect
// section built from the Connection Deploy reported (go test -update rewrites it).
func TestConnectCommentGolden(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p := newProvider(t, docker.Config{})
	env := uniqueEnv("connect")
	port := freePort(t)
	d := deployed(t, p, newSpec(env, image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{fmt.Sprintf("%d:8080", port)}}
	}), nil)
	// The VS Code link names the container in hex.
	inHex := hex.EncodeToString([]byte(`{"containerName":"/` + env + `"}`))
	connectgolden.Compare(t, "docker", env, d.Connection, func(b []byte) []byte {
		return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte(inHex), []byte("<container-hex>")), []byte(env), []byte("<env>"))
	})
}
