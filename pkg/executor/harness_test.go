package executor_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/jobs"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/providertest"
)

// bus is one in-process JetStream server with sindri's streams and buckets.
type bus struct {
	srv  *server.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	envs *events.EnvStore
	pub  *events.Publisher
}

func startBus(t testing.TB) *bus {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := events.Setup(ctx, js, events.SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	envs, err := events.OpenEnvStore(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return &bus{srv: srv, nc: nc, js: js, envs: envs, pub: events.NewPublisher(js)}
}

// testConfig is fast: short leases, short backoff.
func testConfig(fake *providertest.Fake) executor.Config {
	var reg providers.Registry
	if err := reg.Register(fake); err != nil {
		panic(err)
	}
	return executor.Config{
		Registry:     &reg,
		Concurrency:  4,
		LeaseTTL:     2 * time.Second,
		LeaseRetry:   20 * time.Millisecond,
		AckWait:      3 * time.Second,
		MaxAttempts:  5,
		RetryBase:    10 * time.Millisecond,
		RetryMax:     50 * time.Millisecond,
		DrainTimeout: 2 * time.Second,
	}
}

// runExecutor starts an executor and stops it (drained) at cleanup. It returns a stop function
// that cancels and waits for Run.
func runExecutor(t testing.TB, b *bus, cfg executor.Config) (*executor.Executor, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ex, err := executor.New(ctx, b.js, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ex.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return ex, stop
}

const testConfigText = "version: \"3.0\"\nname: demo\ndeployment:\n  provider: docker\n  image: local/demo:1\n"

func newJob(t testing.TB, kind jobs.Kind, env string, gen uint64) *jobs.Job {
	t.Helper()
	j, err := jobs.New(kind, env, providertest.FakeName)
	if err != nil {
		t.Fatal(err)
	}
	j.Generation = gen
	j.Repo = "sindri/demo"
	j.PR = 7
	j.Trigger = "pull_request.synchronize"
	j.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: testConfigText}
	return j
}

func (b *bus) publish(t testing.TB, j *jobs.Job) {
	t.Helper()
	dup, err := b.pub.PublishJob(context.Background(), j, j.IdempotencyKey("run/1/1"))
	if err != nil {
		t.Fatal(err)
	}
	if dup {
		t.Fatalf("job %s was a duplicate", j.ID)
	}
}

func (b *bus) bump(t testing.TB, env string, closing bool) uint64 {
	t.Helper()
	g, err := b.envs.BumpDesired(context.Background(), env, closing)
	if err != nil && !errors.Is(err, events.ErrEnvClosed) {
		t.Fatal(err)
	}
	return g
}

// follow returns the events of jobID up to and including the terminal one.
func (b *bus) follow(t testing.TB, jobID string, timeout time.Duration) []*events.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*events.Envelope
	for ev, err := range events.Follow(ctx, b.js, jobID) {
		if err != nil {
			t.Fatalf("follow %s: %v (got %s)", jobID, err, types(out))
		}
		out = append(out, ev)
	}
	return out
}

func types(evs []*events.Envelope) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type)
	}
	return out
}

func last(evs []*events.Envelope) *events.Envelope { return evs[len(evs)-1] }

func wantTerminal(t testing.TB, evs []*events.Envelope, want events.Type) {
	t.Helper()
	if got := last(evs).Type; got != want {
		b, _ := json.Marshal(last(evs).Data)
		t.Fatalf("terminal event = %s (%s), want %s; all: %v", got, b, want, types(evs))
	}
}

func newMetrics(t testing.TB) (*executor.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := executor.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}
