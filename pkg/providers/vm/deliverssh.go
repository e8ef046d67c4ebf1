package vm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// sshHandshakeTimeout bounds one connection attempt's TCP connect and SSH handshake.
const sshHandshakeTimeout = 20 * time.Second

// errHostKeyChanged: the instance answered with another host key than the one its first
// delivery pinned (LabelSSHHostKey). Nothing is sent to it.
var errHostKeyChanged = errors.New("the instance's ssh host key is not the one pinned at its first delivery")

// deliverSecrets writes dl's env file to in over SSH when it is due (see due), logging in as
// the login user with the delivery key that in's user data authorizes, and returns whether it
// changed the file. It waits (up to timeout) for sshd to answer and accept the key, which
// cloud-init installs on first boot. The host key of the first delivery is pinned in
// LabelSSHHostKey, and a later one must match. An existing instance that trusts only an
// earlier Deploy's throwaway key is not written to: the returned warning says so.
func (p *Provider) deliverSecrets(ctx context.Context, c cloudAPI, in Instance, dl *secretDelivery, launched bool, timeout time.Duration, r providers.Reporter) (changed bool, warning string, err error) {
	tags := in.Tags
	if !dl.due(tags, launched) {
		return false, "", nil
	}
	if !launched && !dl.derived {
		return false, fmt.Sprintf("the secrets were not written to instance %s: it was launched by an earlier deploy, whose throwaway delivery key is gone; set %s on the executor (or as a job credential) so that every deploy can write them, or destroy the environment and deploy again", in.ID, DeliveryKeyVar), nil
	}
	addr := p.sshAddr(in)
	if addr == "" {
		return false, "", fmt.Errorf("%s: deliver secrets to instance %s: it has no address: %w", Name, in.ID, providers.ErrWorkloadFailed)
	}
	if timeout <= 0 {
		timeout = p.cfg.BootTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pinned := tags[LabelSSHHostKey]
	r.Log(fmt.Sprintf("writing the secrets to instance %s (%s as %s, %s)", in.ID, addr, p.cfg.SSHUser, secretsFile))
	var client *ssh.Client
	var hostKey string
	for attempt := 0; ; attempt++ {
		client, hostKey, err = p.sshConnect(wctx, addr, dl.signer, pinned)
		if err == nil {
			break
		}
		if errors.Is(err, errHostKeyChanged) {
			return false, "", fmt.Errorf("%s: deliver secrets to instance %s at %s: %w (pinned %s in tag %s): %w", Name, in.ID, addr, err, pinned, LabelSSHHostKey, providers.ErrConflict)
		}
		if attempt == 0 {
			r.Log(fmt.Sprintf("waiting for ssh on %s: %v", addr, err))
		}
		if werr := ctxwait.Sleep(wctx, p.cfg.PollInterval); werr != nil {
			return false, "", fmt.Errorf("%s: deliver secrets to instance %s: ssh on %s did not accept the delivery key within %s (last: %v): %w", Name, in.ID, addr, timeout, err, errors.Join(werr, providers.ErrWorkloadFailed))
		}
	}
	defer client.Close()
	// The instance's output is kept within bounds: its sshd is trusted only since first contact.
	stdout, stderr := &tailBuffer{max: 4 << 10}, &tailBuffer{max: 500}
	if err := runSession(wctx, client, writeScript(p.secretsPath), bytes.NewReader(dl.content), stdout, stderr); err != nil {
		// The script's standard error holds no secret.
		return false, "", fmt.Errorf("%s: write the secrets on instance %s: %w: %s", Name, in.ID, err, strings.TrimSpace(stderr.String()))
	}
	out := stdout.String()
	set := map[string]string{LabelSecretsDigest: dl.digest(), LabelSSHHostKey: hostKey}
	if !dl.derived {
		set[LabelSecretsDigest] = "unkeyed"
	}
	if err := c.SetTags(ctx, in.ID, set); err != nil {
		return false, "", fmt.Errorf("%s: tag instance %s after writing its secrets: %w", Name, in.ID, err)
	}
	changed = strings.TrimSpace(out) == "changed"
	r.Log(fmt.Sprintf("secrets on instance %s: %s", in.ID, strings.TrimSpace(out)))
	return changed, "", nil
}

// sshAddr is the address of in's sshd: its public IP, else its private one, and
// Config.SSHPort; "" when it has no address.
func (p *Provider) sshAddr(in Instance) string {
	host := instanceHost(in)
	if host == "" {
		return ""
	}
	return net.JoinHostPort(host, strconv.Itoa(p.cfg.SSHPort))
}

// instanceHost is the address a user reaches in at: its public IP, else its private one.
func instanceHost(in Instance) string {
	if in.PublicIP != "" {
		return in.PublicIP
	}
	return in.PrivateIP
}

// sshConnect opens one SSH connection to addr as the login user with key and returns it with
// the host key's fingerprint; a host key other than pinned (when set) is errHostKeyChanged.
func (p *Provider) sshConnect(ctx context.Context, addr string, key ssh.Signer, pinned string) (*ssh.Client, string, error) {
	dial := p.cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	actx, cancel := context.WithTimeout(ctx, sshHandshakeTimeout)
	defer cancel()
	conn, err := dial(actx, "tcp", addr)
	if err != nil {
		return nil, "", err
	}
	deadline, _ := actx.Deadline()
	_ = conn.SetDeadline(deadline)
	var seen string
	cfg := &ssh.ClientConfig{
		User: p.cfg.SSHUser,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			seen = hostKeyPin(key)
			if pinned != "" && seen != pinned {
				return errHostKeyChanged
			}
			return nil
		},
		Timeout: sshHandshakeTimeout,
	}
	cc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		if pinned != "" && seen != "" && seen != pinned {
			return nil, "", fmt.Errorf("%w: it presented %s", errHostKeyChanged, seen)
		}
		return nil, "", err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(cc, chans, reqs), seen, nil
}

// hostKeyPin is the value LabelSSHHostKey pins key with: "sha256-" and the first 24 bytes of
// its SHA-256 in hex, a form every cloud's tags keep as it is (GCE label values are at most
// 63 lowercase letters, digits, '-' and '_').
func hostKeyPin(key ssh.PublicKey) string {
	sum := sha256.Sum256(key.Marshal())
	return "sha256-" + hex.EncodeToString(sum[:24])
}

// runSession runs command in a session of client, without a terminal, with stdin as its
// input (nil: none, the remote end reads end of file) and its output copied to stdout and
// stderr. A command that ran and failed is *ssh.ExitError. Cancelling ctx closes the client.
func runSession(ctx context.Context, client *ssh.Client, command string, stdin io.Reader, stdout, stderr io.Writer) error {
	sess, err := client.NewSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr
	return sess.Run(command)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.b = append(t.b[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.b) + len(p) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	t.b = append(t.b, p...)
	return n, nil
}

func (t *tailBuffer) String() string { return string(t.b) }
