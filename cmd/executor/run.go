package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/sindri/deploy/v3/internal/ctxwait"
	"github.com/sindri/deploy/v3/pkg/cost"
	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// run is the whole program: it returns when ctx ends (after draining) or on a fatal error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return runWith(ctx, args, getenv, stdout, nil)
}

// runWith is run with extra providers registered next to the built-in ones (tests register a
// providertest.Fake this way).
func runWith(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, extra []providers.Provider) error {
	cfg, err := loadConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	log := zerolog.New(stdout).Level(level).With().Timestamp().Str("component", "executor").Logger()

	for _, w := range cfg.Warnings {
		log.Warn().Msg(w)
	}
	if cfg.SecretsKey != nil {
		pub, _ := cfg.SecretsKey.PublicKey()
		log.Info().Str("public_key", pub).Str("file", cfg.SecretsKeyFile).Msg("secrets key loaded: jobs' sealed secrets can be opened")
	} else {
		log.Info().Msg("no secrets key (secrets_key_file): jobs carrying sealed secrets will fail")
	}
	if cfg.ReaperInterval > 0 && cfg.SigningKey == nil {
		log.Warn().Msg("the reaper queues unsigned jobs (no signing_key_file): executors that set trusted_signers will refuse them")
	}
	reg, err := buildRegistry(cfg, getenv, extra)
	if err != nil {
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	readiness := checkProviders(ctx, reg, providerCheckTimeout, log)
	var nc *nats.Conn
	err = startupRetry(ctx, log, "connect to NATS", func() error {
		var err error
		nc, err = events.Connect(ctx, events.ConnectOptions{
			URLs: strings.Split(cfg.NATSURL, ","), CredsFile: cfg.NATSCreds, NKeySeedFile: cfg.NATSNKey,
			CAFile: cfg.TLSCA, CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey, Name: "sindri-executor",
		})
		return err
	})
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if err := startupRetryJS(ctx, log, "set up streams", func(ctx context.Context) error {
		return events.EnsureCreated(ctx, js, events.SetupOptions{Replicas: cfg.StreamReplicas,
			EventsMaxAge: cfg.EventsMaxAge, EventsMaxBytes: cfg.EventsMaxBytes, JobsDuplicateWindow: cfg.JobsDuplicateWindow,
			Warn: func(msg string) { log.Warn().Msg(msg) }})
	}); err != nil {
		return err
	}

	promReg := prometheus.NewRegistry()
	promReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics, err := executor.NewMetrics(promReg)
	if err != nil {
		return err
	}
	defer providers.ObserveRequests(metrics.ObserveRequest)()
	envStates, err := executor.NewEnvStates(promReg)
	if err == nil {
		err = executor.RegisterConnMetrics(promReg, nc)
	}
	if err != nil {
		return err
	}
	var ledger *cost.Ledger
	if err := startupRetryJS(ctx, log, "open the spend ledger", func(ctx context.Context) error {
		var err error
		ledger, err = cost.OpenLedger(ctx, js, cfg.StreamReplicas)
		return err
	}); err != nil {
		return err
	}
	if err := promReg.Register(executor.NewSpendCollector(ledger)); err != nil {
		return err
	}
	var ex *executor.Executor
	err = startupRetryJS(ctx, log, "start the executor", func(ctx context.Context) error {
		var err error
		ex, err = executor.New(ctx, js, executor.Config{
			Registry:       reg,
			Providers:      cfg.Providers,
			Concurrency:    cfg.Concurrency,
			AllowedRepos:   cfg.AllowedRepos,
			TrustedSigners: cfg.TrustedSigners,
			LeaseTTL:       cfg.LeaseTTL,
			AckWait:        cfg.AckWait,
			MaxAttempts:    cfg.MaxDeliver,
			DrainTimeout:   cfg.DrainTimeout,
			DefaultTTL:     cfg.ReaperDefaultTTL,
			SecretsKey:     cfg.SecretsKey,
			Logger:         &log,
			Metrics:        metrics,
			Cost:           &executor.CostConfig{Prices: cfg.CostPrices, Policy: cfg.CostPolicy, Ledger: ledger, Idle: cfg.CostIdle},
		})
		return err
	})
	if errors.Is(err, executor.ErrLeaseTTL) {
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	if err != nil {
		return err
	}
	if err := executor.RegisterQueueMetrics(promReg, js, ex.Providers()); err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	busReady := func() error {
		switch {
		case !nc.IsConnected():
			return errors.New("nats: not connected")
		case !ex.Ready():
			return errors.New("executor: not pulling jobs")
		}
		return nil
	}
	idle := idleRules(cfg, reg)
	if err := serveUI(ctx, gctx, g, cfg, js, busReady, idle, log); err != nil {
		return err
	}
	if cfg.MetricsListen != "" {
		ln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		srv := &http.Server{Handler: opsHandler(promReg, busReady, readiness), ReadHeaderTimeout: 5 * time.Second}
		log.Info().Str("addr", ln.Addr().String()).Msg("metrics listening")
		serveUntilDone(gctx, g, "metrics", srv, ln)
	}
	if cfg.ReaperInterval > 0 {
		g.Go(func() error { return reaper(gctx, js, cfg, idle, log) })
	}
	g.Go(func() error {
		maintain(gctx, reg, maintainEvery, log)
		return nil
	})
	g.Go(func() error {
		// The environment gauge is an aid, not the executor's job: a failed watch is logged.
		if err := envStates.Watch(gctx, js); err != nil {
			log.Warn().Err(err).Msg("sindri_environments is not reported")
		}
		return nil
	})
	g.Go(func() error {
		err := ex.Run(gctx)
		if err == nil && ctx.Err() == nil {
			err = errors.New("executor stopped unexpectedly")
		}
		return err
	})
	err = g.Wait()
	if ctx.Err() != nil && err == nil {
		log.Info().Msg("drained; exiting")
	}
	return err
}

// startupAttempt bounds the first attempt of a startup step made of JetStream requests; each
// retry gets twice as long, up to startupAttemptMax. The client's default (5 s a request) is
// far longer than such a step takes, and a request lost with a server that went away (a
// leader loss, a restart) would hold the start that long; a slow link still gets the time it
// needs on a later attempt.
const (
	startupAttempt    = time.Second
	startupAttemptMax = 8 * time.Second
)

// startupRetryJS is startupRetry for a step made of JetStream requests: each attempt runs
// under its own ctx, bounded as startupAttempt says.
func startupRetryJS(ctx context.Context, log zerolog.Logger, what string, f func(ctx context.Context) error) error {
	limit := startupAttempt
	return startupRetry(ctx, log, what, func() error {
		actx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		limit = min(2*limit, startupAttemptMax)
		return f(actx)
	})
}

// startupRetry runs a startup step until it succeeds, retrying with backoff (250 ms doubling to
// 5 s) while its error is transient: NATS not reachable yet, or a JetStream request that timed
// out (a server restarting or a cluster electing a leader). An executor started next to a
// server that is still coming up waits for it instead of exiting. Other errors, and ctx ending,
// return at once.
func startupRetry(ctx context.Context, log zerolog.Logger, what string, f func() error) error {
	delay := 250 * time.Millisecond
	for {
		err := f()
		if err == nil || ctx.Err() != nil || !transientStartup(err) {
			return err
		}
		log.Warn().Err(err).Str("retry_in", delay.String()).Msg(what + " failed; retrying")
		if ctxwait.Sleep(ctx, delay) != nil {
			return err
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// transientStartup says whether a startup error can go away by itself: the server not
// listening yet, a connection cut while the server is busy or restarting (EOF, reset, refused,
// a network timeout), or JetStream not answering yet or answering that the cluster, a stream or
// a consumer is not available (offline while it recovers). Configuration errors (a missing creds
// file, bad TLS, refused credentials, a stream that differs from ours) are not, and end the
// process with their message; so does a connection the client closed for good (for example
// after credentials were revoked), which no retry on it can revive.
func transientStartup(err error) bool {
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrAccountAuthExpired) {
		return false
	}
	for _, t := range []error{context.DeadlineExceeded, nats.ErrNoServers, nats.ErrTimeout,
		nats.ErrNoResponders, nats.ErrDisconnected,
		nats.ErrConnectionReconnecting, nats.ErrStaleConnection, jetstream.ErrJetStreamNotEnabled,
		io.EOF, io.ErrUnexpectedEOF, syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE} {
		if errors.Is(err, t) {
			return true
		}
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case jsClusterNotAvailable, jsStreamOffline, jsConsumerOffline:
			return true
		}
		if api.Code == 503 {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// JetStream API error codes of a cluster that is recovering (a restart, a lost leader): the
// stream or consumer is assigned but not running yet where the request was answered.
const (
	jsClusterNotAvailable jetstream.ErrorCode = 10008
	jsStreamOffline       jetstream.ErrorCode = 10118
	jsConsumerOffline     jetstream.ErrorCode = 10119
)

// opsHandler serves /metrics, /healthz (the process is alive) and /readyz: 200 while
// busReady says jobs are being pulled over a live connection, else 503 with its reason. Its
// body adds one line per provider with the readiness checked at start; a provider that is not
// ready does not make the executor unready (it still serves the others, and that provider's
// jobs fail with the reason).
func opsHandler(reg *prometheus.Registry, busReady func() error, provs []providerReadiness) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		code := http.StatusOK
		if err := busReady(); err != nil {
			code = http.StatusServiceUnavailable
			b.WriteString(err.Error() + "\n")
		} else {
			b.WriteString("ready\n")
		}
		for _, p := range provs {
			b.WriteString(p.String() + "\n")
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, b.String())
	})
	return mux
}

// serveUntilDone serves srv on ln in g, and shuts it down (within 2 s) once ctx ends; name
// labels the server's error.
func serveUntilDone(ctx context.Context, g *errgroup.Group, name string, srv *http.Server, ln net.Listener) {
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s server: %w", name, err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
}
