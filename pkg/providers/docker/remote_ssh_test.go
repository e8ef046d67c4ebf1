package docker_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/internal/testsshd"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// sshEngine runs Debian's sshd (scripts/tools.sh sshd) on a loopback port with throwaway host
// and user keys, accepting only the current user with the user key, and returns an ssh client
// configuration naming it as host "sindri-engine". Behind it, `docker system dial-stdio` reaches
// this machine's engine, as on a remote Docker host. It skips without SINDRI_HEAVY=1.
func sshEngine(t *testing.T) string {
	t.Helper()
	sshd := heavyTool(t, "sshd", "a real sshd")
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatal("no docker CLI: the ssh side runs `docker system dial-stdio`")
	}
	srv := testsshd.Start(t, sshd)
	dir := t.TempDir()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "user_key")).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "user_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, srv.AuthorizedKeys, string(pub))
	cfg := filepath.Join(dir, "ssh_config")
	mustWriteFile(t, cfg, fmt.Sprintf(`Host sindri-engine
  HostName 127.0.0.1
  Port %d
  User %s
  IdentityFile %s/user_key
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
`, srv.Port, srv.User, dir))
	return cfg
}

func mustWriteFile(t *testing.T, path, content string) {
	t.Helper()
	testsshd.WriteFile(t, path, content)
}

// TestRemoteEngineOverSSH deploys, reads and destroys an environment through an ssh:// engine
// address (DOCKER_HOST and SINDRI_DOCKER_SSH_CONFIG read by ConfigFromEnv), with a real sshd in
// front of this machine's engine; a host ssh cannot log in to is refused with ssh's reason.
func TestRemoteEngineOverSSH(t *testing.T) {
	sshConfig := sshEngine(t)
	needEngine(t)
	env := map[string]string{"DOCKER_HOST": "ssh://sindri-engine", "SINDRI_DOCKER_SSH_CONFIG": sshConfig}
	p := newProvider(t, docker.ConfigFromEnv(func(k string) string { return env[k] }))
	port := freePort(t)
	s := newSpec(uniqueEnv("ssh"), image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{strconv.Itoa(port) + ":8080"}}
	})
	dep := deployed(t, p, s, nil)
	// The engine is "remote" for the provider; it is this machine's, so the port answers here.
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); !strings.HasPrefix(got, "sindri-test ok") {
		t.Errorf("GET = %q", got)
	}
	if !strings.Contains(dep.Connection.ExecCommand, "-H ssh://sindri-engine") {
		t.Errorf("exec command %q does not name the ssh engine", dep.Connection.ExecCommand)
	}
	st, err := p.Status(testCtx(t), s)
	if err != nil || st.State != providers.StateRunning {
		t.Fatalf("Status over ssh = %+v, %v", st, err)
	}

	denied := newProvider(t, docker.Config{Host: "ssh://nobody@sindri-engine", SSHConfigFile: sshConfig})
	_, err = denied.Status(testCtx(t), s)
	if err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Errorf("Status as a user sshd does not allow = %v, want ssh's reason (Permission denied)", err)
	}
}
