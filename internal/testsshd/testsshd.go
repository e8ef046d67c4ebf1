// Package testsshd runs Debian's OpenSSH server (scripts/tools.sh sshd) on a loopback port
// for tests that need a real ssh peer: the docker provider's ssh:// engine, the VM provider's
// secret delivery. Only the current user may log in, with a key from the authorized_keys file
// the test writes; host keys are made fresh per server.
package testsshd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/internal/testports"
)

// Server is a running sshd.
type Server struct {
	// Port is its loopback port; User the only user it lets in (the test process's).
	Port int
	User string
	// Dir holds its configuration and host key (ssh_host_ed25519_key).
	Dir string
	// AuthorizedKeys is the file whose keys it accepts: the test writes it, before or after
	// Start (sshd reads it at each login, as after cloud-init's first boot).
	AuthorizedKeys string
	// HostKeyFingerprint is the SHA-256 fingerprint of its host key ("SHA256:...").
	HostKeyFingerprint string
}

// Start runs sshd (the binary at path sshd) until the test ends and waits until it listens.
// It fails the test when it cannot; the server's output is logged when the test failed.
func Start(t testing.TB, sshd string) *Server {
	t.Helper()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	fp, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", hostKey+".pub").Output()
	if err != nil {
		t.Fatalf("ssh-keygen -l: %v", err)
	}
	fields := strings.Fields(string(fp))
	if len(fields) < 2 {
		t.Fatalf("ssh-keygen -l printed %q", fp)
	}
	s := &Server{Port: testports.Free(t), User: me.Username, Dir: dir,
		AuthorizedKeys: filepath.Join(dir, "authorized_keys"), HostKeyFingerprint: fields[1]}
	WriteFile(t, filepath.Join(dir, "sshd_config"), fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers %s
`, s.Port, hostKey, s.AuthorizedKeys, dir, me.Username))
	if me.Uid == "0" {
		// sshd running as root needs its privilege-separation directory.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	var log syncLog
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd output:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(s.Port))
		if err == nil {
			c.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WriteFile writes content to path with mode 0600, failing the test when it cannot.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// syncLog collects a process's output.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
