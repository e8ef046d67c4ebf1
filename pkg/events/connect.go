package events

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// ConnectOptions describes an external NATS server or cluster. File options name files; their
// contents are never logged or put in errors.
type ConnectOptions struct {
	// URLs of the servers, e.g. "nats://nats-1:4222". At least one is required.
	URLs []string
	// CredsFile is a NATS credentials (.creds) file (user JWT + nkey seed).
	CredsFile string
	// NKeySeedFile is a file holding a user nkey seed; exclusive with CredsFile.
	NKeySeedFile string
	// CAFile verifies the server's TLS certificate; CertFile and KeyFile are the client
	// certificate for mutual TLS (both or neither).
	CAFile   string
	CertFile string
	KeyFile  string
	// Name is the connection name shown in server monitoring.
	Name string
	// Timeout bounds the initial connection (default 10s, and never past ctx's deadline).
	Timeout time.Duration
}

// Connect dials an external NATS server with o. Errors wrap ErrConnect: no URL, both
// CredsFile and NKeySeedFile, CertFile without KeyFile (or the reverse), a named file that
// cannot be read, ctx already done, or the dial error.
func Connect(ctx context.Context, o ConnectOptions) (*nats.Conn, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("events: connect: %s: %w", fmt.Sprintf(format, a...), ErrConnect)
	}
	var urls []string
	for _, u := range o.URLs {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return nil, fail("no server URL given")
	}
	if o.CredsFile != "" && o.NKeySeedFile != "" {
		return nil, fail("give either a credentials file or an nkey seed file, not both")
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, fail("a TLS client certificate needs both a cert file and a key file")
	}
	for what, f := range map[string]string{
		"credentials file": o.CredsFile, "nkey seed file": o.NKeySeedFile,
		"TLS CA file": o.CAFile, "TLS cert file": o.CertFile, "TLS key file": o.KeyFile,
	} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("events: connect: %s %s: %w: %w", what, f, ErrConnect, err)
		}
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("events: connect: %w: %w", ErrConnect, err)
	}
	opts := []nats.Option{nats.Timeout(timeout), nats.MaxReconnects(-1)}
	if o.Name != "" {
		opts = append(opts, nats.Name(o.Name))
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeySeedFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("events: connect: nkey seed file %s: %w: %w", o.NKeySeedFile, ErrConnect, err)
		}
		opts = append(opts, opt)
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	if o.CertFile != "" {
		opts = append(opts, nats.ClientCert(o.CertFile, o.KeyFile))
	}
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("events: connect to %s: %w: %w", redactURLs(urls), ErrConnect, err)
	}
	return nc, nil
}

// redactURLs joins urls with any user information replaced, for error messages.
func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		p, err := url.Parse(u)
		switch {
		case err != nil:
			out[i] = "<unparsable url>"
		case p.User != nil:
			p.User = url.User("redacted")
			out[i] = p.String()
		default:
			out[i] = u
		}
	}
	return strings.Join(out, ",")
}
