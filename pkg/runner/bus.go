package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// Bus is an open connection to the job bus: JetStream with the sindri streams and buckets set
// up, and in embedded mode the in-process server and executor behind it.
type Bus struct {
	JS       jetstream.JetStream
	Envs     *events.EnvStore
	Embedded bool
	// Signer, when set, signs every job published on this bus (the signing-key input).
	Signer nkeys.KeyPair

	closers []func()
}

// OnClose registers f to run when the bus closes, after what the bus started itself has
// stopped (for files the connection needs while it lives, such as credentials it re-reads on
// every reconnect).
func (b *Bus) OnClose(f func()) { b.closers = append([]func(){f}, b.closers...) }

// Close stops what the bus started, in reverse order. The embedded executor drains first.
func (b *Bus) Close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
	b.closers = nil
}

// EmbeddedConfig configures StartEmbedded.
type EmbeddedConfig struct {
	// Registry holds the providers the in-process executor serves.
	Registry *providers.Registry
	// BuildSpec overrides how each job's Spec is built (nil: the executor's default).
	BuildSpec executor.SpecBuilder
	// Secrets are the secrets the action resolved for this invocation: the executor delivers
	// them to its jobs in memory (executor.Config.LocalSecrets), so they never travel on the bus.
	Secrets []providers.SecretValue
	// LoadConfig validates a job's config (used when BuildSpec is nil).
	LoadConfig executor.ConfigLoader
	// StoreDir is the JetStream store; "" is a temporary directory removed on Close.
	StoreDir string
	// Logger receives the executor's structured logs (nil: none).
	Logger *zerolog.Logger
	// DrainTimeout bounds the executor's drain on Close (default 30s).
	DrainTimeout time.Duration
}

// StartEmbedded starts the zero-infrastructure default: an in-process JetStream server with no
// network listener, the sindri streams and buckets, and an in-process executor serving every
// provider in cfg.Registry. Close stops the executor (draining in-flight jobs) and the server.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (_ *Bus, err error) {
	if cfg.Registry == nil || len(cfg.Registry.Names()) == 0 {
		return nil, errors.New("embedded bus: no providers registered")
	}
	srv, err := events.StartEmbedded(ctx, events.EmbeddedOptions{StoreDir: cfg.StoreDir})
	if err != nil {
		return nil, fmt.Errorf("embedded bus: start nats-server: %w", err)
	}
	b := &Bus{Embedded: true, closers: []func(){srv.Close}}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	nc, err := srv.Connect(nats.Name("sindri-action"))
	if err != nil {
		return nil, fmt.Errorf("embedded bus: connect: %w", err)
	}
	b.closers = append(b.closers, nc.Close)
	if err := b.setup(ctx, nc, events.SetupOptions{Storage: events.StorageFile}, false); err != nil {
		return nil, err
	}
	drain := cfg.DrainTimeout
	if drain <= 0 {
		drain = 30 * time.Second
	}
	ex, err := executor.New(ctx, b.JS, executor.Config{
		Worker:       "embedded",
		Registry:     cfg.Registry,
		Concurrency:  2,
		LoadConfig:   cfg.LoadConfig,
		BuildSpec:    cfg.BuildSpec,
		LocalSecrets: cfg.Secrets,
		Logger:       cfg.Logger,
		DrainTimeout: drain,
		// Priced like a remote executor's jobs (the providers' tables), with no policy.
		Cost: &executor.CostConfig{},
	})
	if err != nil {
		return nil, fmt.Errorf("embedded bus: executor: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- ex.Run(runCtx) }()
	b.closers = append(b.closers, func() {
		cancel()
		<-done
	})
	return b, nil
}

// Connect connects to an external NATS deployment (where long-lived executors run). The
// streams and buckets there belong to the operator (replicas, retention, lock TTL): they are
// created with setup only when missing (each on its own), and never updated from here.
func Connect(ctx context.Context, o events.ConnectOptions, setup events.SetupOptions) (*Bus, error) {
	nc, err := events.Connect(ctx, o)
	if err != nil {
		return nil, err
	}
	b := &Bus{closers: []func(){nc.Close}}
	if err := b.setup(ctx, nc, setup, true); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bus) setup(ctx context.Context, nc *nats.Conn, o events.SetupOptions, createOnly bool) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if createOnly {
		err = events.EnsureCreated(ctx, js, o)
	} else {
		err = events.Setup(ctx, js, o)
	}
	if err != nil {
		return fmt.Errorf("set up streams and buckets: %w", err)
	}
	envs, err := events.OpenEnvStore(ctx, js)
	if err != nil {
		return fmt.Errorf("open env store: %w", err)
	}
	b.JS, b.Envs = js, envs
	return nil
}
