package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// sshDialer reaches an engine at ssh://[user@]host[:port] the way the docker CLI does: each
// connection is an `ssh ... -- host docker system dial-stdio` process whose stdin and stdout
// carry the Engine API. The remote host needs the docker CLI; authentication is ssh's own
// (agent, ~/.ssh/config, or configFile given with -F). BatchMode is on: ssh never prompts.
func sshDialer(host, configFile string) (func(ctx context.Context, network, addr string) (net.Conn, error), error) {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "ssh" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("docker: engine host (host, DOCKER_HOST): %w: an ssh address is ssh://[user@]host[:port]", providers.ErrInvalidSpec)
	}
	args := []string{"-o", "BatchMode=yes", "-o", "ConnectTimeout=30"}
	if configFile != "" {
		args = append(args, "-F", configFile)
	}
	if u.User != nil && u.User.Username() != "" {
		args = append(args, "-l", u.User.Username())
	}
	if p := u.Port(); p != "" {
		args = append(args, "-p", p)
	}
	args = append(args, "--", u.Hostname(), "docker", "system", "dial-stdio")
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		// Not CommandContext: the connection outlives the dial's context; Close ends ssh.
		cmd := exec.Command("ssh", args...)
		// Our own pipes, not StdinPipe/StdoutPipe: Wait closes those as soon as ssh exits, so a
		// read racing with it would get "file already closed" instead of the end of ssh's output
		// and its reason on stderr.
		inR, inW, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			inR.Close()
			inW.Close()
			return nil, err
		}
		cmd.Stdin, cmd.Stdout = inR, outW
		// Once ssh has exited, Wait gives up on its stderr after this long, even if a process it
		// started still holds the pipe open; Close waits for Wait.
		cmd.WaitDelay = sshExitWait
		c := &cmdConn{cmd: cmd, in: inW, out: outR, host: u.Host}
		cmd.Stderr = &c.stderr
		err = cmd.Start()
		// The child holds its own copies of these ends.
		inR.Close()
		outW.Close()
		if err != nil {
			inW.Close()
			outR.Close()
			return nil, fmt.Errorf("docker: run ssh for %s: %w", host, err)
		}
		c.exited = make(chan struct{})
		go func() {
			// Wait also waits for ssh's stderr to be copied, so the reason is whole after it.
			_ = cmd.Wait()
			close(c.exited)
		}()
		return c, nil
	}, nil
}

// cmdConn is a net.Conn over a process's stdin and stdout. Deadlines are not supported (the
// HTTP transport works without them; requests are bounded by their contexts).
type cmdConn struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    io.ReadCloser
	host   string
	stderr syncBuffer
	once   sync.Once
	// exited is closed once ssh has exited and its stderr has been copied.
	exited chan struct{}
}

// sshExitWait bounds how long a read that met the end of ssh's output waits for ssh to exit,
// so that its reason (on stderr) is in the error.
const sshExitWait = 2 * time.Second

func (c *cmdConn) Read(b []byte) (int, error) {
	n, err := c.out.Read(b)
	if err == io.EOF && n == 0 {
		return 0, c.reason(io.EOF)
	}
	return n, err
}

func (c *cmdConn) Write(b []byte) (int, error) {
	n, err := c.in.Write(b)
	if err != nil {
		// ssh has gone (a broken pipe): say why, as Read does.
		return n, c.reason(err)
	}
	return n, nil
}

// reason waits briefly for ssh to exit and wraps err with the last line ssh wrote on stderr.
func (c *cmdConn) reason(err error) error {
	select {
	case <-c.exited:
	case <-time.After(sshExitWait):
	}
	if msg := strings.TrimSpace(c.stderr.String()); msg != "" {
		return fmt.Errorf("ssh %s: %s: %w", c.host, lastLine(msg), err)
	}
	return err
}

// Close ends the ssh process and reaps it.
func (c *cmdConn) Close() error {
	c.once.Do(func() {
		_ = c.in.Close()
		_ = c.out.Close()
		if c.cmd.Process != nil {
			_ = c.cmd.Process.Kill()
		}
		<-c.exited
	})
	return nil
}

func (c *cmdConn) LocalAddr() net.Addr                { return sshAddr("local") }
func (c *cmdConn) RemoteAddr() net.Addr               { return sshAddr(c.host) }
func (c *cmdConn) SetDeadline(t time.Time) error      { return nil }
func (c *cmdConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *cmdConn) SetWriteDeadline(t time.Time) error { return nil }

type sshAddr string

func (a sshAddr) Network() string { return "ssh" }
func (a sshAddr) String() string  { return string(a) }

// syncBuffer is a bytes.Buffer safe for the process's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4096 {
		return len(p), nil // enough to explain a failure
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
