package events

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testCtx returns a context bounded well below the test timeout, so that a hang fails with a
// clear error instead of the test binary panicking.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startServer starts an embedded server (in-process only) with its store in a test dir.
func startServer(t *testing.T) *Embedded {
	t.Helper()
	e, err := StartEmbedded(testCtx(t), EmbeddedOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(e.Close)
	return e
}

func connectJS(t *testing.T, e *Embedded) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := e.Connect()
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// newBus starts a server, connects and runs Setup with default options.
func newBus(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, js := connectJS(t, startServer(t))
	if err := Setup(testCtx(t), js, SetupOptions{}); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return js
}
