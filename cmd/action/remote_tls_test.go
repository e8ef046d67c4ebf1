package main

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/internal/testcerts"
	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
	"github.com/sindri/deploy/v3/pkg/runner"
)

// TestRemoteMutualTLS runs the action against a NATS deployment on a private CA that requires
// client certificates: with nats-ca, nats-tls-cert and nats-tls-key the deploy runs through an
// executor on that deployment; without the client certificate the run fails with a connection
// error and publishes nothing. The key is masked and appears nowhere else.
func TestRemoteMutualTLS(t *testing.T) {
	t.Parallel()
	pki := testcerts.New(t)
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CaFile: pki.CA, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	tc.MinVersion = tls.VersionTLS12
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		JetStream: true, StoreDir: t.TempDir(), TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 5})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	url := "tls://127.0.0.1:" + strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)

	// The operator's executor, connected with its own client certificate.
	ctx, cancel := context.WithCancel(context.Background())
	nc, err := events.Connect(ctx, events.ConnectOptions{URLs: []string{url}, CAFile: pki.CA, CertFile: pki.ClientCert, KeyFile: pki.ClientKey})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Setup(ctx, js, events.SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	fake := providertest.NewFake()
	var reg providers.Registry
	if err := reg.Register(fake); err != nil {
		t.Fatal(err)
	}
	ex, err := executor.New(ctx, js, executor.Config{Worker: "tls", Registry: &reg, DrainTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ex.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; nc.Close() })

	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ca, cert, key := read(pki.CA), read(pki.ClientCert), read(pki.ClientKey)
	r := newRepo(t, "")
	res := r.invoke("pull_request", prPayload(t, "opened", shaOpened), map[string]string{
		"nats-url": url, "nats-ca": ca, "nats-tls-cert": cert, "nats-tls-key": key, "provider": providertest.FakeName,
	})
	if res.code != 0 || res.outputs["status"] != "ready" {
		t.Fatalf("with the client certificate: exit %d status %q\n%s", res.code, res.outputs["status"], res.stdout)
	}
	keyLine := strings.Split(key, "\n")[1] // the first line of the key's base64 body
	if !strings.Contains(res.stdout, "::add-mask::"+keyLine+"\n") {
		t.Error("the client key's lines are not masked")
	}
	var rest []string
	for _, l := range strings.Split(res.stdout, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			rest = append(rest, l)
		}
	}
	if strings.Contains(strings.Join(rest, "\n")+res.stderr+res.summary, keyLine) {
		t.Error("the client key appears in the output outside its mask commands")
	}
	if n := fake.CountOp(r.env(), providertest.OpDeploy); n != 1 {
		t.Fatalf("deploys %d, want 1", n)
	}

	res = r.invoke("pull_request", prPayload(t, "synchronize", shaPushed), map[string]string{
		"nats-url": url, "nats-ca": ca, "provider": providertest.FakeName, "timeout": "30s",
	})
	if res.code == 0 {
		t.Fatalf("without the client certificate: exit 0, want a failure")
	}
	if !strings.Contains(res.stdout, "connect") {
		t.Errorf("the failure does not say the connection failed:\n%s", res.stdout)
	}
	if n := fake.CountOp(r.env(), providertest.OpDeploy); n != 1 {
		t.Errorf("a deploy ran without the client certificate")
	}
}

// The action's connection survives a restart of a mutual-TLS NATS server: the client re-reads
// the CA and client certificate on every reconnect, so they must live as long as the bus.
func TestRemoteTLSReconnects(t *testing.T) {
	t.Parallel()
	pki := testcerts.New(t)
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: pki.ServerCert, KeyFile: pki.ServerKey, CaFile: pki.CA, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		JetStream: true, StoreDir: store, TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 5}
	start := func(o *server.Options) *server.Server {
		t.Helper()
		srv, err := server.NewServer(o)
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats-server not ready")
		}
		return srv
	}
	srv := start(opts)
	port := srv.Addr().(*net.TCPAddr).Port
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	in := action.Inputs{NATSURL: "tls://127.0.0.1:" + strconv.Itoa(port), NATSCA: read(pki.CA),
		NATSTLSCert: read(pki.ClientCert), NATSTLSKey: read(pki.ClientKey)}
	var buf strings.Builder
	bus, err := externalOpener(in, func(string) string { return "" }, &runner.ConsoleOutput{W: &buf})(context.Background(), nil)
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	defer bus.Close()
	srv.Shutdown()
	srv.WaitForShutdown()
	again := *opts
	again.Port = port
	srv = start(&again)
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := bus.JS.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no working connection 30s after the server came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
