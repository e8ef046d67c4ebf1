package events

import (
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sindri/deploy/v3/internal/testcerts"
)

func TestConnectMutualTLS(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	pki := testcerts.New(t)
	caFile, srvCert, srvKey, cliCert, cliKey := pki.CA, pki.ServerCert, pki.ServerKey, pki.ClientCert, pki.ClientKey

	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: srvCert, KeyFile: srvKey, CaFile: caFile, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	tc.MinVersion = tls.VersionTLS12
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	url := "tls://127.0.0.1:" + strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)

	nc, err := Connect(ctx, ConnectOptions{URLs: []string{url}, CAFile: caFile, CertFile: cliCert, KeyFile: cliKey})
	if err != nil {
		t.Fatalf("mutual TLS connect: %v", err)
	}
	if !nc.IsConnected() {
		t.Error("not connected")
	}
	nc.Close()
	// Without the client certificate the server refuses the connection.
	if _, err := Connect(ctx, ConnectOptions{URLs: []string{url}, CAFile: caFile, Timeout: 2 * time.Second}); !errors.Is(err, ErrConnect) {
		t.Errorf("connect without client cert: %v", err)
	}
	// Without the CA the client refuses the server.
	if _, err := Connect(ctx, ConnectOptions{URLs: []string{url}, CertFile: cliCert, KeyFile: cliKey, Timeout: 2 * time.Second}); !errors.Is(err, ErrConnect) {
		t.Errorf("connect without CA: %v", err)
	}
}
