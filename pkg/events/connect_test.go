package events

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

func TestConnectOptionErrors(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "file")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		o       ConnectOptions
		mention string
		notFile bool
	}{
		"no url":         {ConnectOptions{URLs: []string{" "}}, "no server URL", false},
		"creds and nkey": {ConnectOptions{URLs: []string{"nats://127.0.0.1:1"}, CredsFile: existing, NKeySeedFile: existing}, "not both", false},
		"cert no key":    {ConnectOptions{URLs: []string{"nats://127.0.0.1:1"}, CertFile: existing}, "cert file and a key file", false},
		"missing creds":  {ConnectOptions{URLs: []string{"nats://127.0.0.1:1"}, CredsFile: filepath.Join(dir, "nope.creds")}, "credentials file", true},
		"missing ca":     {ConnectOptions{URLs: []string{"nats://127.0.0.1:1"}, CAFile: filepath.Join(dir, "ca.pem")}, "TLS CA file", true},
	}
	for name, tt := range tests {
		_, err := Connect(ctx, tt.o)
		if !errors.Is(err, ErrConnect) {
			t.Errorf("%s: %v, want ErrConnect", name, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: %q does not mention %q", name, err, tt.mention)
		}
		if tt.notFile && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: %v does not wrap os.ErrNotExist", name, err)
		}
	}
}

func TestConnectRedactsURLCredentials(t *testing.T) {
	t.Parallel()
	// Nothing listens on port 1.
	_, err := Connect(testCtx(t), ConnectOptions{
		URLs:    []string{"nats://deployer:s3cr3t-pw@127.0.0.1:1"},
		Timeout: time.Second,
	})
	if !errors.Is(err, ErrConnect) {
		t.Fatalf("Connect to a closed port: %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestConnectWithNKeySeedFile(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		Nkeys: []*server.NkeyUser{{Nkey: pub}},
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })

	nc, err := Connect(ctx, ConnectOptions{URLs: []string{srv.ClientURL()}, NKeySeedFile: seedFile, Name: "nkey-test"})
	if err != nil {
		t.Fatalf("Connect with nkey: %v", err)
	}
	nc.Close()
	_, err = Connect(ctx, ConnectOptions{URLs: []string{srv.ClientURL()}, Timeout: 2 * time.Second})
	if !errors.Is(err, ErrConnect) {
		t.Errorf("Connect without nkey to an nkey server: %v", err)
	}
	if strings.Contains(err.Error(), string(seed)) {
		t.Error("error contains the seed")
	}
}
