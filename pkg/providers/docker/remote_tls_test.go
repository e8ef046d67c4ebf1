package docker_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sindri/deploy/v3/internal/testcerts"
	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// tlsEngine exposes the local engine's unix socket on a loopback TCP port behind mutual TLS
// (server certificate for 127.0.0.1, client certificates signed by the test CA required), as
// `dockerd --tlsverify -H tcp://127.0.0.1:2376` does, and returns its tcp:// address.
func tlsEngine(t *testing.T, certs testcerts.Set) string {
	t.Helper()
	socket := strings.TrimPrefix(engineHost(), "unix://")
	if socket == engineHost() {
		t.Skip("the engine is not on a unix socket; the TLS front forwards to one")
	}
	cert, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert},
		ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					return // a client without a valid certificate
				}
				e, err := net.Dial("unix", socket)
				if err != nil {
					return
				}
				defer e.Close()
				go func() { _, _ = io.Copy(e, c); e.(*net.UnixConn).CloseWrite() }()
				_, _ = io.Copy(c, e)
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

// certPath lays out certs as DOCKER_CERT_PATH expects: ca.pem, cert.pem, key.pem.
func certPath(t *testing.T, certs testcerts.Set) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{"ca.pem": certs.CA, "cert.pem": certs.ClientCert, "key.pem": certs.ClientKey} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRemoteEngineOverTLS deploys, checks and destroys an environment through a tcp:// engine
// address with mutual TLS configured the way operators do (DOCKER_HOST, DOCKER_CERT_PATH,
// DOCKER_TLS_VERIFY read by ConfigFromEnv), and checks that a client without the certificates
// is refused as unavailable.
func TestRemoteEngineOverTLS(t *testing.T) {
	needEngine(t)
	t.Parallel()
	certs := testcerts.New(t)
	host := tlsEngine(t, certs)
	env := map[string]string{"DOCKER_HOST": host, "DOCKER_CERT_PATH": certPath(t, certs), "DOCKER_TLS_VERIFY": "1"}
	cfg := docker.ConfigFromEnv(func(k string) string { return env[k] })
	p := newProvider(t, cfg)
	port := freePort(t)
	s := newSpec(uniqueEnv("tls"), image1, func(c *config.Config) {
		c.Providers.Docker = &config.DockerConfig{Ports: []string{strconv.Itoa(port) + ":8080"}}
	})
	dep := deployed(t, p, s, nil)
	if got := httpGet(t, dep.Connection.HTTPURL); !strings.HasPrefix(got, "sindri-test ok") {
		t.Errorf("GET %s = %q", dep.Connection.HTTPURL, got)
	}
	if !strings.Contains(dep.Connection.ExecCommand, "-H "+host) {
		t.Errorf("exec command %q does not name the engine %s", dep.Connection.ExecCommand, host)
	}
	st, err := p.Status(testCtx(t), s)
	if err != nil || st.State != providers.StateRunning {
		t.Fatalf("Status over TLS = %+v, %v", st, err)
	}

	noCerts := newProvider(t, docker.Config{Host: host})
	if _, err := noCerts.Status(testCtx(t), s); !errors.Is(err, providers.ErrUnavailable) {
		t.Errorf("Status without client certificates = %v, want ErrUnavailable", err)
	}
}
