package vm_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// sshFake plays the sshd of every instance of a cloud fake, for tests without a real sshd
// (TestDeploySecretsOverRealSSH has one): it lets a key in only when an instance's user data
// authorizes it (as cloud-init would), runs the delivery's write command (its stdin kept per
// key, answering changed or unchanged as the script does) and any other command through this
// machine's sh (Exec's), and refuses every other request (a terminal among them), keeping their
// types.
type sshFake struct {
	// instances lists the cloud fake's environment instances; userData gives one's.
	instances func() []string
	userData  func(id string) string
	ln        net.Listener
	cfg       *ssh.ServerConfig

	mu     sync.Mutex
	files  map[string][]byte // authorized key line -> content last written
	writes int
	runs   int // write commands run, changed or not
	// refused are the types of the requests refused; stdin what other commands were sent on
	// their standard input.
	refused []string
	stdin   []byte
}

func newSSHFake(t *testing.T, instances func() []string, userData func(id string) string) *sshFake {
	t.Helper()
	_, hk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sshFake{instances: instances, userData: userData, ln: ln, files: map[string][]byte{}}
	s.cfg = &ssh.ServerConfig{PublicKeyCallback: s.authorize}
	s.cfg.AddHostKey(signer)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// Dial is vm.Config.Dial: every instance address reaches the fake.
func (s *sshFake) Dial(ctx context.Context, network, _ string) (net.Conn, error) {
	return (&net.Dialer{}).DialContext(ctx, network, s.ln.Addr().String())
}

// authorize accepts key when an instance's user data lists it under ssh_authorized_keys.
func (s *sshFake) authorize(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	if meta.User() != "ubuntu" {
		return nil, fmt.Errorf("user %s unknown", meta.User())
	}
	for _, id := range s.instances() {
		if strings.Contains(s.userData(id), "ssh_authorized_keys:\n  - "+line+" ") {
			return &ssh.Permissions{Extensions: map[string]string{"key": line}}, nil
		}
	}
	return nil, fmt.Errorf("key not authorized")
}

func (s *sshFake) serve(c net.Conn) {
	defer c.Close()
	conn, chans, reqs, err := ssh.NewServerConn(c, s.cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "sessions only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go s.session(conn.Permissions.Extensions["key"], ch, creqs)
	}
}

// session runs the write command, or another one through sh: anything else is refused.
func (s *sshFake) session(key string, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" || len(req.Payload) < 4 {
			s.mu.Lock()
			s.refused = append(s.refused, req.Type)
			s.mu.Unlock()
			_ = req.Reply(false, nil)
			continue
		}
		cmd := string(req.Payload[4:])
		if !strings.HasPrefix(cmd, "set -eu\n") || !strings.Contains(cmd, "install -o") {
			_ = req.Reply(true, nil)
			s.run(cmd, ch)
			return
		}
		_ = req.Reply(true, nil)
		content, _ := io.ReadAll(ch)
		s.mu.Lock()
		s.runs++
		answer := "unchanged\n"
		if old, ok := s.files[key]; !ok || !bytes.Equal(old, content) {
			answer = "changed\n"
			s.files[key] = content
			s.writes++
		}
		s.mu.Unlock()
		_, _ = io.WriteString(ch, answer)
		status := make([]byte, 4)
		binary.BigEndian.PutUint32(status, 0)
		_, _ = ch.SendRequest("exit-status", false, status)
		return
	}
}

// run runs cmd with sh, its standard input from ch (kept), its output to ch's streams, and
// sends its exit status.
func (s *sshFake) run(cmd string, ch ssh.Channel) {
	c := exec.Command("sh", "-c", cmd)
	c.Stdout, c.Stderr = ch, ch.Stderr()
	var in bytes.Buffer
	c.Stdin = io.TeeReader(ch, &in)
	code := 0
	if err := c.Run(); err != nil {
		code = 255
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	_, _ = io.Copy(&in, ch)
	s.mu.Lock()
	s.stdin = append(s.stdin, in.Bytes()...)
	s.mu.Unlock()
	status := make([]byte, 4)
	binary.BigEndian.PutUint32(status, uint32(code))
	_, _ = ch.SendRequest("exit-status", false, status)
}

// requests returns the types of the requests the fake refused, and what commands other than
// the write command were sent on their standard input.
func (s *sshFake) requests() (refused []string, stdin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.refused), string(s.stdin)
}

// written returns the content last written by the key that the user data ud authorizes,
// and how many writes the fake took in all.
func (s *sshFake) written(ud string) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, content := range s.files {
		if strings.Contains(ud, key) {
			return string(content), s.writes
		}
	}
	return "", s.writes
}

// commands returns how many write commands the fake ran (a Deploy whose secrets are unchanged
// runs none).
func (s *sshFake) commands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs
}
