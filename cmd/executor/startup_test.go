package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// An executor started before its NATS server is up waits for it (a fleet restart, a server
// still electing leaders) instead of exiting, then serves jobs.
func TestExecutorWaitsForNATSAtStartup(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	fake := providertest.NewFake()
	env := map[string]string{"SINDRI_NATS_URL": url, "SINDRI_PROVIDERS": "fake", "SINDRI_METRICS_LISTEN": "127.0.0.1:0",
		"SINDRI_LOG_LEVEL": "warn"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runWith(ctx, nil, func(k string) string { return env[k] }, os.Stderr, []providers.Provider{fake})
	}()
	t.Cleanup(func() { cancel(); <-done })

	// The server comes up a little later, on the port the executor was told about.
	select {
	case err := <-done:
		t.Fatalf("executor exited while NATS was down: %v", err)
	case <-time.After(time.Second):
	}
	emb, err := events.StartEmbedded(context.Background(), events.EmbeddedOptions{StoreDir: t.TempDir(), Listen: true, Host: "127.0.0.1", Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	b := &testBus{emb: emb, url: url}
	b.connect(t, []string{url})
	retry(t, "setup", func(ctx context.Context) error { return events.Setup(ctx, b.js, events.SetupOptions{}) })
	b.openEnvs(t)
	j := makeJob(t, jobs.KindDeploy, "late-server", b.bump(t, "late-server", false))
	b.publish(t, j)
	if ev := b.terminal(t, j.ID, 60*time.Second); ev.Type != events.TypeSucceeded {
		t.Fatalf("job ended %s: %s", ev.Type, dataJSON(ev))
	}
}

// Errors a server that is busy or restarting produces at connect time are retried; refused
// credentials and configuration errors end startup with their message.
func TestTransientStartupErrors(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error {
		return fmt.Errorf("events: connect to nats://x: %w: %w", events.ErrConnect, err)
	}
	cases := []struct {
		err  error
		want bool
	}{
		{wrap(io.EOF), true},
		{wrap(nats.ErrNoServers), true},
		{wrap(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{wrap(&net.OpError{Op: "read", Err: syscall.ECONNRESET}), true},
		{wrap(nats.ErrTimeout), true},
		{fmt.Errorf("setup: %w", nats.ErrNoResponders), true},
		{fmt.Errorf("cost: open sindri_spend: %w", &jetstream.APIError{Code: 500, ErrorCode: 10118, Description: "stream is offline"}), true},
		{fmt.Errorf("consumer: %w", &jetstream.APIError{Code: 500, ErrorCode: 10119, Description: "consumer is offline"}), true},
		{fmt.Errorf("setup: %w", &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}), true},
		{fmt.Errorf("setup: %w", &jetstream.APIError{Code: 400, ErrorCode: 10058, Description: "stream name already in use with a different configuration"}), false},
		{wrap(nats.ErrAuthorization), false},
		{fmt.Errorf("set up streams: %w", nats.ErrConnectionClosed), false},
		{wrap(os.ErrNotExist), false},
		{errors.New("stream SINDRI_JOBS has subjects we do not use"), false},
	}
	for _, c := range cases {
		if got := transientStartup(c.err); got != c.want {
			t.Errorf("transientStartup(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
