// Package eventstest starts the embedded JetStream server for tests of the packages that use
// the bus, so each does not write the same start, connect and clean-up steps again.
package eventstest

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
)

// Start starts an embedded server with opts, connects to it and returns the server, the
// connection and its JetStream context; with setup it also creates sindri's streams and
// buckets (events.Setup). All of it closes when t ends.
func Start(t testing.TB, opts events.EmbeddedOptions, setup bool) (*events.Embedded, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	srv, err := events.StartEmbedded(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if setup {
		if err := events.Setup(context.Background(), js, events.SetupOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, nc, js
}
